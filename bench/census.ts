import net from 'node:net';

/**
 * A statement and round-trip census of what the gateway sends to PostgreSQL, taken by a small TCP
 * proxy between the two that reads the frontend side of the wire protocol (and passes every byte
 * through untouched). It answers "how many statements and round trips does one topup cost, and
 * which ones", without any instrumentation in the gateway, and gives the exact SQL texts that the
 * pgbench same-SQL ceiling must match.
 *
 * Counting rules: every Execute (extended protocol) or Query (simple protocol) message is one
 * statement; every Sync or Query message is one round trip (the client waits for ReadyForQuery
 * after it). A Bind names the prepared statement, so executions of named statements prepared
 * earlier on the same connection are still attributed to their SQL text.
 */
export interface CensusStatement {
  /** Connection number (in accept order) and the statement's text. */
  connection: number;
  sql: string;
}

export interface CensusSnapshot {
  statements: CensusStatement[];
  roundTrips: number;
  parses: number;
}

export interface WireCensus {
  port: number;
  reset(): void;
  snapshot(): CensusSnapshot;
  stop(): Promise<void>;
}

const sslRequestCode = 80877103;
const gssEncRequestCode = 80877104;
const cancelRequestCode = 80877102;

function readCString(buffer: Buffer, offset: number): { value: string; next: number } {
  const end = buffer.indexOf(0, offset);
  if (end < 0) return { value: buffer.toString('utf8', offset), next: buffer.length };
  return { value: buffer.toString('utf8', offset, end), next: end + 1 };
}

export async function startWireCensus(target: { host: string; port: number }): Promise<WireCensus> {
  let statements: CensusStatement[] = [];
  let roundTrips = 0;
  let parses = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const connection = ++connections;
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    upstream.pipe(client);

    // Per connection: the prepared statements by name, the unnamed one, and the statement the
    // current portal runs.
    const prepared = new Map<string, string>();
    let portalSql = '';
    let startupDone = false;
    let pending: Buffer = Buffer.alloc(0);

    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (!startupDone) {
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          pending = pending.subarray(length);
          // An SSL or GSS request is answered with one byte and followed by the real startup.
          if (code !== sslRequestCode && code !== gssEncRequestCode && code !== cancelRequestCode)
            startupDone = true;
          continue;
        }
        if (pending.length < 5) break;
        const type = String.fromCharCode(pending[0]!);
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) break;
        const body = pending.subarray(5, 1 + length);
        pending = pending.subarray(1 + length);
        switch (type) {
          case 'P': {
            const name = readCString(body, 0);
            const sql = readCString(body, name.next);
            prepared.set(name.value, sql.value);
            parses += 1;
            break;
          }
          case 'B': {
            const portal = readCString(body, 0);
            const statement = readCString(body, portal.next);
            portalSql =
              prepared.get(statement.value) ?? `<unknown prepared statement ${statement.value}>`;
            break;
          }
          case 'E':
            statements.push({ connection, sql: portalSql });
            break;
          case 'Q':
            statements.push({ connection, sql: readCString(body, 0).value });
            roundTrips += 1;
            break;
          case 'S':
            roundTrips += 1;
            break;
          default:
            break;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    reset() {
      statements = [];
      roundTrips = 0;
      parses = 0;
    },
    snapshot: () => ({ statements: [...statements], roundTrips, parses }),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A statement's text reduced for comparison: block comments kept (the stores name every statement
 * with one), line comments dropped, whitespace collapsed, parameters ($1 in the gateway, :name in pgbench) replaced by "?".
 */
export function normalizeSql(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, '')
    .replace(/\\gset(\s+\w+)?\s*$/, '')
    .replace(/;\s*$/, '')
    .replace(/\$\d+/g, '?')
    .replace(/(?<![:\w]):[A-Za-z_]\w*/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The SQL commands of a pgbench script, in order (meta-commands and comment lines skipped). */
export function scriptStatements(script: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  for (const line of script.split('\n')) {
    const trimmed = line.trim();
    if (
      current.length === 0 &&
      (trimmed === '' || trimmed.startsWith('--') || trimmed.startsWith('\\'))
    )
      continue;
    current.push(line);
    if (/;\s*$/.test(trimmed) || /\\gset(\s+\w+)?\s*$/.test(trimmed)) {
      statements.push(current.join('\n'));
      current = [];
    }
  }
  if (current.length > 0) statements.push(current.join('\n'));
  return statements;
}

/** The leading name comment of a statement (`/* lockWallet *\/`), or its first words. */
export function statementLabel(sql: string): string {
  const named = /^\s*\/\*\s*([\w-]+)\s*\*\//.exec(sql);
  if (named) return named[1]!;
  return sql.replace(/\s+/g, ' ').trim().slice(0, 48);
}

/** One operation of the census: how to send it, and how many times. */
export interface CensusOperation {
  operation: string;
  requests: number;
  /** Sends the i-th request (sequentially; the census runs at 1 client). */
  send(i: number): Promise<void>;
}

export interface CensusOutcome {
  operation: string;
  requests: number;
  statementsPerRequest: number;
  roundTripsPerRequest: number;
  /** The statements of the operation's last request, in order. */
  lastRequest: CensusStatement[];
}

/**
 * Runs each operation `requests` times through the proxied gateway and divides what crossed the
 * wire. One warm-up request per operation first, so that one-time work (Parse of a statement on
 * a fresh connection, caches) does not count.
 */
export async function takeCensus(
  census: WireCensus,
  operations: CensusOperation[],
): Promise<CensusOutcome[]> {
  const outcomes: CensusOutcome[] = [];
  for (const op of operations) {
    await op.send(-1);
    census.reset();
    for (let i = 0; i < op.requests - 1; i++) await op.send(i);
    const before = census.snapshot();
    census.reset();
    await op.send(op.requests - 1);
    const last = census.snapshot();
    outcomes.push({
      operation: op.operation,
      requests: op.requests,
      statementsPerRequest: (before.statements.length + last.statements.length) / op.requests,
      roundTripsPerRequest: (before.roundTrips + last.roundTrips) / op.requests,
      lastRequest: last.statements,
    });
  }
  return outcomes;
}

/**
 * Compares the statements of one gateway request between its BEGIN and COMMIT with a pgbench
 * script's statements. Returns undefined when they are the same, else what differs.
 */
export function compareWithScript(request: CensusStatement[], script: string): string | undefined {
  const texts = request.map((s) => normalizeSql(s.sql));
  const begin = texts.findIndex((t) => /^BEGIN\b/i.test(t));
  const commit = texts.findIndex((t, i) => i > begin && /^COMMIT\b/i.test(t));
  if (begin < 0 || commit < 0)
    return `the gateway request shows no BEGIN ... COMMIT (${request.map((s) => statementLabel(s.sql)).join(', ')})`;
  const gateway = texts.slice(begin, commit + 1);
  const statements = scriptStatements(script);
  const bench = statements.map(normalizeSql);
  const problems: string[] = [];
  if (gateway.length !== bench.length) {
    problems.push(
      `the gateway sends ${gateway.length} statements in its transaction (${request
        .slice(begin, commit + 1)
        .map((s) => statementLabel(s.sql))
        .join(', ')}), ` +
        `the script ${bench.length} (${statements.map(statementLabel).join(', ')})`,
    );
  }
  for (let i = 0; i < Math.max(gateway.length, bench.length); i++) {
    if (gateway[i] !== bench[i]) {
      problems.push(
        `first difference at statement ${i + 1}:\n  gateway: ${(gateway[i] ?? '<none>').slice(0, 600)}\n  script:  ${(bench[i] ?? '<none>').slice(0, 600)}`,
      );
      break;
    }
  }
  return problems.length === 0 ? undefined : problems.join('\n');
}
