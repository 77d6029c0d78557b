import { median } from './stats';

/** pgbench ceilings and references, gateway workloads over HTTP, the engine in-process. */
export type RowKind = 'ceiling' | 'gateway' | 'engine';

/** One measured run (one workload, one client count, one round). */
export interface RunRecord {
  workload: string;
  kind: RowKind;
  clients: number;
  round: number;
  /** Money operations (transfers, requests) per second; for a batched pgbench row tps x batch. */
  txPerS: number;
  /** Latency percentiles; for a batched pgbench row, of a whole batch (one pgbench transaction). */
  p50Ms: number;
  p99Ms: number;
  /**
   * Mean money operations per database transaction in the measured window: from the gateway's
   * wallet_batch_operations histogram, the engine's onBatch hook, or the pgbench script's batch
   * (1 for the per-transfer ceilings). Absent for reads.
   */
  meanBatchOps?: number;
  /** Transfers per pgbench transaction (batched pgbench rows only). */
  batch?: number;
  /** Every failed request or transaction of the run, all kinds together. */
  errors: number;
  errorCodes: Record<string, number>;
  /** Errors during the warm-up before this run (reported, not in the table). */
  warmupErrors: number;
  /** Largest gateway RSS sampled during the warm-up and the run (gateway workloads only). */
  rssMaxMb?: number;
  /** Lines the gateway logged at LOG_LEVEL (warn and worse) during the warm-up and the run. */
  serverLogLines?: number;
  replaysSent?: number;
  replayMismatches?: number;
  durationS: number;
  errorSamples: string[];
}

/** The medians of a workload at one client count over the rounds. */
export interface Row {
  workload: string;
  kind: RowKind;
  clients: number;
  rounds: number;
  txPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Median over the rounds of the runs' mean operations per database transaction. */
  meanBatchOps?: number;
  batch?: number;
  /** Summed over the rounds, never averaged. */
  errors: number;
  errorCodes: Record<string, number>;
  rssMaxMb?: number;
  ceiling?: string;
  ratioTxPerS?: number;
  ratioP99?: number;
}

export interface TargetResult {
  target: string;
  figure: string;
  pass: boolean | null;
}

export interface CensusReport {
  operations: {
    operation: string;
    requests: number;
    statementsPerRequest: number;
    roundTripsPerRequest: number;
    /** The statements of one request, labelled, in order. */
    sequence: string[];
  }[];
  /** Per ceiling script: whether its statements match what the gateway sends. */
  drift: { script: string; operation: string; matches: boolean; detail: string }[];
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  wallTimeS: number;
  machine: Record<string, string | number>;
  settings: Record<string, string | number | boolean | null>;
  rows: Row[];
  runs: RunRecord[];
  targets: TargetResult[];
  census: CensusReport | null;
  invariantBreaches: string[];
  alarms: string[];
  ceilingOf: Record<string, string>;
}

export function aggregate(runs: RunRecord[], ceilingOf: Record<string, string>): Row[] {
  const groups = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const key = `${run.workload}\u0000${run.clients}`;
    const list = groups.get(key) ?? [];
    list.push(run);
    groups.set(key, list);
  }
  const rows: Row[] = [];
  for (const list of groups.values()) {
    const first = list[0]!;
    const errorCodes: Record<string, number> = {};
    for (const run of list)
      for (const [code, count] of Object.entries(run.errorCodes))
        errorCodes[code] = (errorCodes[code] ?? 0) + count;
    const rss = list.map((run) => run.rssMaxMb).filter((v): v is number => v !== undefined);
    const batchOps = list
      .map((run) => run.meanBatchOps)
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
    rows.push({
      workload: first.workload,
      kind: first.kind,
      clients: first.clients,
      rounds: list.length,
      txPerS: median(list.map((run) => run.txPerS)),
      p50Ms: median(list.map((run) => run.p50Ms)),
      p99Ms: median(list.map((run) => run.p99Ms)),
      meanBatchOps: batchOps.length > 0 ? median(batchOps) : undefined,
      batch: first.batch,
      errors: list.reduce((sum, run) => sum + run.errors, 0),
      errorCodes,
      rssMaxMb: rss.length > 0 ? Math.max(...rss) : undefined,
      ceiling: ceilingOf[first.workload],
    });
  }
  for (const row of rows) {
    if (!row.ceiling) continue;
    const ceiling = rows.find((r) => r.workload === row.ceiling && r.clients === row.clients);
    if (!ceiling) continue;
    row.ratioTxPerS = ceiling.txPerS > 0 ? row.txPerS / ceiling.txPerS : undefined;
    row.ratioP99 = ceiling.p99Ms > 0 ? row.p99Ms / ceiling.p99Ms : undefined;
  }
  return rows;
}

const fmt = {
  num(value: number | undefined, digits = 0): string {
    return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
  },
  ms(value: number | undefined): string {
    if (value === undefined || !Number.isFinite(value)) return 'n/a';
    return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
  },
  ratio(value: number | undefined): string {
    return value === undefined || !Number.isFinite(value) ? '' : `${value.toFixed(2)}x`;
  },
  batch(value: number | undefined): string {
    if (value === undefined || !Number.isFinite(value)) return '';
    return Number.isInteger(value) ? String(value) : value.toFixed(1);
  },
};

/** What the columns of the results table mean where a row kind reads them differently. */
export const tableNotes = [
  'tx/s counts money operations (or reads): for `pgbench batched ... xN` it is transfers per second, pgbench tps x N; their p50/p99 are per batch (one pgbench transaction of N transfers).',
  "ops/batch: mean money operations per database transaction in the measured window: for `gw` rows from the gateway's wallet_batch_operations histogram (/metrics, read before and after), for `engine` rows from the engine's onBatch hook, for pgbench rows the script's (1 for the per-transfer ceilings). Empty for reads.",
  '`engine` rows: the money engine called in-process by concurrent callers (no HTTP, no GraphQL), group commit as configured (GROUP_COMMIT, on by default).',
];

function find(rows: Row[], workload: string, clients: number): Row | undefined {
  return rows.find((row) => row.workload === workload && row.clients === clients);
}

/**
 * The client count the targets are read at: 16, or with other BENCH_CLIENTS the second smallest
 * (the smallest when only one is given). The batched pgbench references and the engine rows run
 * at this count only.
 */
export function targetClients(clients: number[]): number {
  const sorted = [...clients].sort((a, b) => a - b);
  return clients.includes(16) ? 16 : sorted[Math.min(1, sorted.length - 1)]!;
}

/** The issue's targets, each evaluated from this run's rows; null when a figure is missing. */
export function evaluateTargets(
  rows: Row[],
  clients: number[],
  overallRssMb: number | undefined,
): TargetResult[] {
  const targets: TargetResult[] = [];
  // The issue's figures are at 1, 16 and 64 clients; with other BENCH_CLIENTS the nearest are used.
  const sorted = [...clients].sort((a, b) => a - b);
  const at = targetClients(clients);
  const low = sorted[0]!;
  const high = clients.includes(64) ? 64 : sorted[sorted.length - 1]!;
  const ratio = (a: Row | undefined, b: Row | undefined) =>
    a && b && b.txPerS > 0 ? a.txPerS / b.txPerS : undefined;
  const judge = (
    target: string,
    value: number | undefined,
    pass: (v: number) => boolean,
    describe: (v: number) => string,
  ) => {
    targets.push({
      target,
      figure:
        value === undefined || !Number.isFinite(value) ? 'n/a (not measured)' : describe(value),
      pass: value === undefined || !Number.isFinite(value) ? null : pass(value),
    });
  };
  const throughput = (workload: string, ceiling: string, clientsAt: number, factor: number) => {
    const w = find(rows, workload, clientsAt);
    const c = find(rows, ceiling, clientsAt);
    judge(
      `${workload}, ${clientsAt} clients >= ${factor}x ${ceiling}`,
      ratio(w, c),
      (v) => v >= factor,
      (v) => `${v.toFixed(2)}x (${fmt.num(w?.txPerS)} vs ${fmt.num(c?.txPerS)} tx/s)`,
    );
  };

  // Issue 12 (group commit): the gateway over HTTP and the engine in-process against the
  // per-transfer ceilings.
  throughput('gw topup distinct', 'pgbench same-SQL topup distinct', at, 0.75);
  throughput('gw spend hot', 'pgbench naive spend hot', at, 1.5);
  {
    const g = find(rows, 'gw topup distinct', low);
    const c = find(rows, 'pgbench same-SQL topup distinct', low);
    judge(
      `p50 at ${low} client(s) <= 2.5x ceiling p50: gw topup distinct vs pgbench same-SQL topup distinct`,
      g && c && c.p50Ms > 0 ? g.p50Ms / c.p50Ms : undefined,
      (v) => v <= 2.5,
      (v) => `${v.toFixed(2)}x (${fmt.ms(g?.p50Ms)} vs ${fmt.ms(c?.p50Ms)} ms)`,
    );
  }
  for (const [gateway, ceiling] of [
    ['gw topup distinct', 'pgbench same-SQL topup distinct'],
    ['gw spend distinct', 'pgbench same-SQL spend distinct'],
    ['gw spend hot', 'pgbench naive spend hot'],
  ] as const) {
    const g = find(rows, gateway, at);
    const c = find(rows, ceiling, at);
    judge(
      `p99 at ${at} clients <= 3x ceiling p99: ${gateway} vs ${ceiling}`,
      g && c && c.p99Ms > 0 ? g.p99Ms / c.p99Ms : undefined,
      (v) => v <= 3,
      (v) => `${v.toFixed(2)}x (${fmt.ms(g?.p99Ms)} vs ${fmt.ms(c?.p99Ms)} ms)`,
    );
  }
  for (const workload of ['gw topup distinct', 'gw spend hot']) {
    if (high === at) break;
    judge(
      `${high} clients: throughput not below ${at} clients (${workload})`,
      ratio(find(rows, workload, high), find(rows, workload, at)),
      (v) => v >= 1.0,
      (v) =>
        `${fmt.num(find(rows, workload, high)?.txPerS)} vs ${fmt.num(find(rows, workload, at)?.txPerS)} tx/s (${v.toFixed(2)}x)`,
    );
  }
  throughput('engine topup distinct', 'pgbench same-SQL topup distinct', at, 3);
  throughput('engine spend hot', 'pgbench naive spend hot', at, 4);
  // Issue 14: the event outbox costs topups at most 10%, the same build with its trigger off.
  throughput('gw topup distinct', 'gw topup distinct outbox off', at, 0.9);
  const gatewayRowsHigh = rows.filter((row) => row.kind === 'gateway' && row.clients === high);
  const errorsHigh = gatewayRowsHigh.reduce((sum, row) => sum + row.errors, 0);
  judge(
    `${high} clients: zero errors (all gateway workloads)`,
    gatewayRowsHigh.length > 0 ? errorsHigh : undefined,
    (v) => v === 0,
    (v) =>
      v === 0
        ? '0 errors'
        : `${v} errors: ${gatewayRowsHigh
            .filter((r) => r.errors > 0)
            .map((r) => `${r.workload} ${JSON.stringify(r.errorCodes)}`)
            .join('; ')}`,
  );
  const first = find(rows, 'gw ledger first page', 1);
  const deep = find(rows, 'gw ledger deep page', 1);
  judge(
    'ledger first page p50 < 5 ms (1 client, 100,000 entries)',
    first?.p50Ms,
    (v) => v < 5,
    (v) => `${fmt.ms(v)} ms`,
  );
  judge(
    'ledger deep page (after 50,000) p50 <= 2x first page p50 (1 client)',
    first && deep && first.p50Ms > 0 ? deep.p50Ms / first.p50Ms : undefined,
    (v) => v <= 2,
    (v) => `${v.toFixed(2)}x (${fmt.ms(deep?.p50Ms)} vs ${fmt.ms(first?.p50Ms)} ms)`,
  );
  judge(
    'gateway RSS < 250 MB throughout',
    overallRssMb,
    (v) => v < 250,
    (v) => `max ${v.toFixed(0)} MB`,
  );
  return targets;
}

export function banner(title: string, lines: string[]): string {
  const bar = '!'.repeat(100);
  return [bar, `!!! ${title}`, ...lines.map((line) => `!!!   ${line}`), bar].join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  const out: string[] = [];
  out.push(`# Wallet gateway benchmark, ${report.startedAt}`);
  out.push('');
  out.push(
    `Wall time ${Math.round(report.wallTimeS)} s. Medians of ${report.settings.rounds} interleaved round(s), ${report.settings.durationS} s per run after a ${report.settings.warmupS} s warm-up.`,
  );
  out.push('');
  if (report.alarms.length > 0) {
    out.push('## ALARMS');
    out.push('');
    for (const alarm of report.alarms) out.push(`- **${alarm}**`);
    out.push('');
  }
  out.push('## Results');
  out.push('');
  out.push(
    '| workload | clients | tx/s | p50 ms | p99 ms | ops/batch | errors | max RSS MB | ceiling | x ceiling tx/s | x ceiling p99 |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const row of report.rows) {
    const errors =
      row.errors === 0
        ? '0'
        : `**${row.errors}** ${Object.entries(row.errorCodes)
            .map(([c, n]) => `${c}:${n}`)
            .join(' ')}`;
    out.push(
      `| ${row.workload} | ${row.clients} | ${fmt.num(row.txPerS)} | ${fmt.ms(row.p50Ms)} | ${fmt.ms(row.p99Ms)} | ${fmt.batch(row.meanBatchOps)} | ${errors} | ${row.rssMaxMb === undefined ? '' : fmt.num(row.rssMaxMb)} | ${row.ceiling ?? ''} | ${fmt.ratio(row.ratioTxPerS)} | ${fmt.ratio(row.ratioP99)} |`,
    );
  }
  out.push('');
  out.push(...tableNotes.map((note) => `- ${note}`));
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push('| target | figure | result |');
  out.push('|---|---|---|');
  for (const target of report.targets)
    out.push(
      `| ${target.target} | ${target.figure} | ${target.pass === null ? 'n/a' : target.pass ? 'PASS' : '**FAIL**'} |`,
    );
  out.push('');
  if (report.census) {
    out.push('## Statements and round trips per request (wire census, 1 client)');
    out.push('');
    out.push('| operation | statements | round trips | sequence |');
    out.push('|---|---:|---:|---|');
    for (const op of report.census.operations)
      out.push(
        `| ${op.operation} | ${op.statementsPerRequest.toFixed(2)} | ${op.roundTripsPerRequest.toFixed(2)} | ${op.sequence.join(' → ')} |`,
      );
    out.push('');
    for (const drift of report.census.drift) {
      out.push(
        `- ${drift.script} vs the gateway's ${drift.operation}: ${drift.matches ? 'the same statements' : '**DRIFT** (the same-SQL ceiling is not the same SQL):'}`,
      );
      if (!drift.matches) out.push('', '```', drift.detail, '```', '');
    }
    out.push('');
  }
  out.push('## Invariants');
  out.push('');
  out.push(
    report.invariantBreaches.length === 0
      ? 'The ledger invariant checker found no breach after the runs.'
      : `**${report.invariantBreaches.length} BREACH(ES)**:\n\n${report.invariantBreaches.map((b) => `- ${b}`).join('\n')}`,
  );
  out.push('');
  out.push('## Machine and settings');
  out.push('');
  for (const [key, value] of Object.entries(report.machine)) out.push(`- ${key}: ${value}`);
  for (const [key, value] of Object.entries(report.settings)) out.push(`- ${key}: ${value}`);
  out.push('');
  return out.join('\n');
}

/** The results table for the terminal: fixed-width columns. */
export function renderConsoleTable(rows: Row[]): string {
  const header = [
    'workload',
    'clients',
    'tx/s',
    'p50 ms',
    'p99 ms',
    'ops/batch',
    'errors',
    'RSS MB',
    'x ceil tx/s',
    'x ceil p99',
    'ceiling',
  ];
  const body = rows.map((row) => [
    row.workload,
    String(row.clients),
    fmt.num(row.txPerS),
    fmt.ms(row.p50Ms),
    fmt.ms(row.p99Ms),
    fmt.batch(row.meanBatchOps),
    row.errors === 0 ? '0' : `${row.errors}!`,
    row.rssMaxMb === undefined ? '' : fmt.num(row.rssMaxMb),
    fmt.ratio(row.ratioTxPerS),
    fmt.ratio(row.ratioP99),
    row.ceiling ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
      )
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function renderConsoleTargets(targets: TargetResult[]): string {
  return targets
    .map((t) => `${t.pass === null ? ' n/a' : t.pass ? 'PASS' : 'FAIL'}  ${t.target}: ${t.figure}`)
    .join('\n');
}
