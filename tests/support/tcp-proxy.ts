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
  /** Arms a cut for the next `count` COMMITs (a simple-protocol Query "COMMIT"). */
  cutAtCommit(mode: CommitCut, count?: number): void;
  /** How many COMMITs were cut so far. */
  cuts(): number;
  /** Stops listening and destroys every connection. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

const commitQuery = Buffer.from('COMMIT\0');

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let armed: { mode: CommitCut; left: number } | undefined;
  let cuts = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
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
      const at = chunk.indexOf(commitQuery);
      // A Query message: 'Q', a 4-byte length, then the text.
      if (armed && at >= 5 && chunk[at - 5] === 0x51) {
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
      armed = { mode, left: count };
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
