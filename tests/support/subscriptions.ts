// Helpers for live-subscription tests: real graphql-ws clients over real websockets.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { SubscriptionService } from '../../src/modules/subscriptions/subscription.service';
import type { TestGateway } from './gateway';

import { BALANCE_CHANGED } from './documents';

export { BALANCE_CHANGED };

export interface WsClient {
  client: Client;
  /** Every close event the client saw, in order. */
  closes: { code: number; reason: string }[];
  dispose(): Promise<void>;
}

/** A graphql-ws client that does not retry, so that a test sees every close as it happens. */
export function wsClient(
  url: string,
  token: string | undefined,
  options: { lazy?: boolean } = {},
): WsClient {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: options.lazy ?? true,
    retryAttempts: 0,
    connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
    },
  });
  return { client, closes, dispose: () => Promise.resolve(client.dispose()) };
}

export interface Collected<T = any> {
  events: T[];
  errors: { message: string; extensions?: Record<string, unknown> }[] | undefined;
  completed: boolean;
  /** Resolves once `count` events arrived; rejects on an error, an early end or the timeout. */
  waitForCount(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves once the subscription ended with an error. */
  waitForError(timeoutMs?: number): Promise<NonNullable<Collected['errors']>>;
  unsubscribe(): void;
}

/** Subscribes and collects every `data.balanceChanged` the server sends. */
export function collect(
  client: Client,
  variables: Record<string, unknown>,
  query: string = BALANCE_CHANGED,
): Collected {
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const collected: Collected = {
    events: [],
    errors: undefined,
    completed: false,
    waitForCount: (count, timeoutMs = 15_000) =>
      until(
        () => {
          if (collected.events.length >= count) return true;
          if (collected.errors)
            throw new Error(
              `subscription failed after ${collected.events.length} events: ${JSON.stringify(collected.errors)}`,
            );
          if (collected.completed)
            throw new Error(
              `subscription ended after ${collected.events.length} of ${count} events`,
            );
          return false;
        },
        timeoutMs,
        () => `${collected.events.length} of ${count} events`,
      ).then(() => collected.events),
    waitForError: (timeoutMs = 15_000) =>
      until(
        () => {
          if (collected.errors) return true;
          if (collected.completed) throw new Error('subscription completed without an error');
          return false;
        },
        timeoutMs,
        () => 'an error',
      ).then(() => collected.errors!),
    unsubscribe: () => unsubscribe(),
  };
  const until = (check: () => boolean, timeoutMs: number, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      const attempt = () => {
        try {
          if (!check()) return;
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${what()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(attempt);
      };
      waiters.add(attempt);
      attempt();
    });
  const unsubscribe = client.subscribe<any>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) collected.errors = result.errors as Collected['errors'];
        else collected.events.push(result.data!.balanceChanged);
        notify();
      },
      error: (error) => {
        collected.errors = Array.isArray(error)
          ? error
          : [{ message: String((error as { reason?: string }).reason ?? error) }];
        notify();
      },
      complete: () => {
        collected.completed = true;
        notify();
      },
    },
  );
  return collected;
}

/** Polls until the check passes (or throws after the timeout). */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'a condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * graphql-ws sends no acknowledgement when a subscription starts, so tests wait until the
 * service has this many streams listening (their snapshot is taken) before moving money.
 */
export function waitForStreams(
  service: SubscriptionService,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  return waitUntil(
    () => service.counters().streams >= count,
    timeoutMs,
    `${count} live streams (have ${service.counters().streams})`,
  );
}

/**
 * The websocket clients a test file opens, closed after each test; then no subscription stream
 * may be left open on the gateway, and the ledger invariants must hold.
 */
export function useWsClients(
  gateway: () => TestGateway,
): (url: string, token: string | undefined) => WsClient {
  const clients: WsClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await waitUntil(
      () => gateway().gateway.services.subscriptions.counters().streams === 0,
      5000,
      'streams to end',
    );
    await gateway().assertInvariants();
  });
  return (url, token) => {
    const c = wsClient(url, token);
    clients.push(c);
    return c;
  };
}

/**
 * Opens a socket that never sends connection_init, on `url`; resolves once open (the socket is
 * pushed to `opened`, for the test to end), or with the upgrade's refusal status.
 */
export function openIdleSocket(
  url: string,
  opened: WebSocket[],
): Promise<{ socket?: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    socket.once('open', () => {
      opened.push(socket);
      resolve({ socket });
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response|socket hang up|ECONNRESET/.test(error.message))
        reject(error);
    });
  });
}
