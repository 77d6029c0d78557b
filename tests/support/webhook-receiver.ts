// A real HTTP webhook receiver on 127.0.0.1 for the webhook tests: records every delivery and answers as the test says.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  /** Milliseconds since the epoch when the request arrived. */
  atMs: number;
  signature: string | undefined;
  rawBody: string;
  body: { id: string; type: string; createdAt: string; [key: string]: any };
}

export interface Receiver {
  url: string;
  port: number;
  deliveries: Delivery[];
  /** The status to answer with for a delivery (default 200); delayMs holds the answer back. */
  respond: (delivery: Delivery) => { status: number; delayMs?: number };
  /** TCP connections the receiver has accepted so far. */
  connectionsAccepted(): number;
  /** Distinct event ids in order of first arrival. */
  firstArrivals(): string[];
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const receiver = {} as Receiver;
  receiver.respond = () => ({ status: 200 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const delivery: Delivery = {
        atMs: Date.now(),
        signature: req.headers['wallet-signature'] as string | undefined,
        rawBody,
        body: JSON.parse(rawBody),
      };
      deliveries.push(delivery);
      const answer = receiver.respond(delivery);
      const send = () => {
        res.statusCode = answer.status;
        res.end(answer.status >= 300 ? 'receiver says no' : 'ok');
      };
      // Unref: an answer held back past the end of a test must not keep jest running.
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });
  let connectionsAccepted = 0;
  server.on('connection', (socket) => {
    connectionsAccepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;
  Object.assign(receiver, {
    url: `http://127.0.0.1:${actualPort}/hook`,
    port: actualPort,
    deliveries,
    connectionsAccepted: () => connectionsAccepted,
    firstArrivals() {
      const seen = new Set<string>();
      const order: string[] = [];
      for (const delivery of deliveries) {
        if (!seen.has(delivery.body.id)) {
          seen.add(delivery.body.id);
          order.push(delivery.body.id);
        }
      }
      return order;
    },
    async waitFor(predicate: () => boolean, timeoutMs: number, what: string) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what} (${deliveries.length} deliveries so far)`,
          );
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return receiver;
}
