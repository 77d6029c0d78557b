// Proves that a subscription event written to a websocket whose TCP connection has just gone (the peer vanished between the server's check and its write) is logged at debug, not as an error line, and that the gateway keeps serving other sockets.
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/shared/logger';
import { inputMutation } from '../support/documents';
import { collect, useWsClients, waitForStreams, waitUntil } from '../support/subscriptions';
import { useTestGateway } from '../support/use-test-gateway';

interface LogLine {
  level: number;
  msg: string;
}
const lines: LogLine[] = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const text of chunk.toString('utf8').split('\n').filter(Boolean))
      lines.push(JSON.parse(text) as LogLine);
    callback();
  },
});

const t = useTestGateway('websocket-write-after-close', {
  logger: createLogger({ level: 'debug', destination }),
  invariantsAfterEach: false,
});
const openWsClient = useWsClients(() => t);
let keyCounter = 0;

async function topup(userId: string) {
  const res = await t.gql(inputMutation('topup', `wallet { balance }`), {
    input: {
      userId,
      asset: 'GOLD_COINS',
      amount: '5',
      idempotencyKey: `write-after-close-${++keyCounter}`,
    },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}

it('a write to a socket that closed under it is a debug line, not an error', async () => {
  const consoleError = jest.spyOn(console, 'error');
  // The server side of the next websocket's TCP connection.
  let serverSocket: Duplex | undefined;
  const grab = (_request: unknown, socket: Duplex) => {
    serverSocket ??= socket;
  };
  t.gateway.httpServer.prependListener('upgrade', grab);
  try {
    const doomed = openWsClient(t.wsUrl, t.tokens.server);
    const events = collect(doomed.client, { userId: 'vanishing-peer', asset: 'GOLD_COINS' });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    t.gateway.httpServer.off('upgrade', grab);
    // The peer goes away exactly as the next event is written: the socket is destroyed inside
    // that write, while the websocket still reads as open (its close event comes a tick later).
    const socket = serverSocket!;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      socket.destroy();
      return write(...args);
    }) as typeof socket.write;
    await topup('vanishing-peer');
    await waitUntil(() => doomed.closes.length > 0, 10_000, 'the doomed socket to close');
    expect(events.events).toHaveLength(0);
    await waitUntil(
      () => t.gateway.services.subscriptions.counters().streams === 0,
      10_000,
      'the doomed stream to end',
    );

    // Another socket still gets its events.
    const healthy = openWsClient(t.wsUrl, t.tokens.server);
    const received = collect(healthy.client, { userId: 'steady-peer', asset: 'GOLD_COINS' });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    await topup('steady-peer');
    await received.waitForCount(1);

    const errorLines = lines.filter((line) => line.level >= 50);
    expect(errorLines).toEqual([]);
    expect(consoleError).not.toHaveBeenCalled();
    expect(lines.some((line) => line.level === 20 && /websocket/.test(line.msg))).toBe(true);
  } finally {
    t.gateway.httpServer.off('upgrade', grab);
    consoleError.mockRestore();
  }
});
