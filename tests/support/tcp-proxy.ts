// A TCP proxy between the gateway and PostgreSQL that a test controls: it can go away and come back on the same port, and cut a connection exactly at COMMIT.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type CommitCut =
  /** Forward COMMIT, then cut both sides before the answer: the commit happens, nobody hears it. */
  | 'after-forward'
  /** Cut instead of forwarding COMMIT: the server rolls the transaction back. */
  | 'before-forward';

export interface TcpProxy {
  port: number;
  /** Connections currently open through the proxy. */
  open(): number;
  /** Arms a cut for the next `count` COMMITs; 0 disarms. */
  cutAtCommit(mode: CommitCut, count?: number): void;
  /** How many COMMITs were cut so far. */
  cuts(): number;
  /** Stops listening and destroys every connection. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

const commitQuery = Buffer.from('COMMIT\0');

/**
 * Whether the client's bytes run a COMMIT: a Query message ('Q', length, text), a Parse message
 * (statement name, NUL, text: pg with a named statement, which the gateway uses) or, once a
 * connection parsed COMMIT as a named statement, a Bind of that name (its later COMMITs carry
 * no text at all). Bind is 'B', length, portal name (empty: NUL), statement name, NUL.
 */
function commitIn(chunk: Buffer, commitStatements: Set<string>): boolean {
  let found = false;
  for (let at = chunk.indexOf(commitQuery); at >= 0; at = chunk.indexOf(commitQuery, at + 1)) {
    if (at >= 5 && chunk[at - 5] === 0x51) found = true;
    if (at >= 1 && chunk[at - 1] === 0) {
      // A Parse message: 'P', its length (4 bytes), the name, NUL, "COMMIT", NUL, 0 parameters.
      for (let length = 1; length <= 64 && at - 1 - length >= 5; length += 1) {
        const nameStart = at - 1 - length;
        if (chunk[nameStart - 5] !== 0x50) continue;
        if (chunk.readInt32BE(nameStart - 4) !== 4 + length + 1 + commitQuery.length + 2) continue;
        commitStatements.add(chunk.subarray(nameStart, at - 1).toString('latin1'));
        found = true;
      }
      // An unnamed Parse ('P', length, NUL, text).
      if (at >= 6 && chunk[at - 6] === 0x50) found = true;
    }
  }
  for (const name of commitStatements) {
    const bind = Buffer.from(`\0${name}\0`, 'latin1');
    for (let at = chunk.indexOf(bind); at >= 0; at = chunk.indexOf(bind, at + 1)) {
      if (at >= 5 && chunk[at - 5] === 0x42) found = true;
    }
  }
  return found;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let armed: { mode: CommitCut; left: number } | undefined;
  let cuts = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    /** Names of the prepared statements this connection parsed as COMMIT. */
    const commitStatements = new Set<string>();
    sockets.add(client);
    sockets.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      const isCommit = commitIn(chunk, commitStatements);
      if (armed && isCommit) {
        const { mode } = armed;
        armed.left -= 1;
        if (armed.left <= 0) armed = undefined;
        cuts += 1;
        if (mode === 'after-forward') {
          // Nothing the server answers reaches the client; a FIN (not a reset) lets the server
          // read the COMMIT before it sees the end of the connection.
          upstream.removeAllListeners('data');
          client.removeAllListeners('close');
          upstream.end(chunk);
          client.destroy();
        } else {
          closeBoth();
        }
        return;
      }
      upstream.write(chunk);
    });
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);
  return {
    port,
    open: () => sockets.size,
    cutAtCommit(mode, count = 1) {
      armed = count > 0 ? { mode, left: count } : undefined;
    },
    cuts: () => cuts,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    async start() {
      await listen(port);
    },
  };
}
