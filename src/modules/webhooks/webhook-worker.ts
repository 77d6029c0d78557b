import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../../generated/prisma/client';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import { normaliseBodyDates } from '../events/event-objects';
import { eventStore, type EventBodyRow } from '../events/events.store';
import { boundedErrorText, deliver } from './delivery';
import type { SsrfPolicy } from './ssrf';
import type { WebhookMetrics } from './webhook-metrics';
import { webhookStore, type ClaimedWebhook } from './webhooks.store';

export interface WebhookWorkerOptions {
  prisma: PrismaClient;
  policy: SsrfPolicy;
  metrics: WebhookMetrics;
  pollIntervalMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  retryWindowMs: number;
  leaseMs: number;
  concurrency?: number;
}

export interface WebhookWorker {
  /** Stops claiming, aborts deliveries in flight and lets their webhooks go. */
  stop(): Promise<void>;
}

/** The JSON body of a delivery (contract): id, type, createdAt and the event's object. */
export function eventBody(row: EventBodyRow): string {
  const key = row.type === 'TRANSACTION' ? 'transaction' : row.type === 'HOLD' ? 'hold' : 'wallet';
  return JSON.stringify({
    id: row.id,
    type: row.type,
    createdAt: row.createdAt.toISOString(),
    [key]: row.object ? normaliseBodyDates(row.object) : null,
  });
}

/** base * 2^(attempt-1), capped, then 50..100% of it at random, so that receivers coming back are not hit by every replica at once. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.max(1, Math.round(exponential * (0.5 + Math.random() * 0.5)));
}

/** A sleep that the worker's stop, or new work, cuts short. */
function createPause(signal: AbortSignal): { sleep(ms: number): Promise<void>; wake(): void } {
  const sleepers = new Set<() => void>();
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          sleepers.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        timer.unref();
        sleepers.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      }),
    wake() {
      for (const wake of sleepers) wake();
    },
  };
}

/** Records a failed attempt at the head event; false when the batch must stop here. */
async function recordFailedAttempt(
  options: WebhookWorkerOptions,
  claim: ClaimedWebhook,
  token: string,
  event: EventBodyRow,
  result: { error?: string },
  attempts: number,
): Promise<boolean> {
  const failure = await webhookStore.recordFailure(options.prisma, claim.id, token, {
    error: boundedErrorText(result.error ?? 'failed'),
    delayMs: backoffMs(attempts, options.backoffBaseMs, options.backoffMaxMs),
    retryWindowMs: options.retryWindowMs,
  });
  // Not over the window: retried after the backoff (later events wait, for this webhook only).
  if (!failure || !failure.windowOver) return false;
  const webhookId = claim.id.toString();
  logger.warn(
    { webhook: webhookId, event: event.id, attempts: failure.attempts, error: result.error },
    'webhook delivery given up after the retry window',
  );
  options.metrics.gaveUp(webhookId);
  const position = { xact: BigInt(event.xact), id: BigInt(event.id) };
  return webhookStore.giveUp(options.prisma, claim.id, token, position, options.leaseMs);
}

/**
 * Delivers one claimed webhook's events in feed order, for at most `webhookClaimBudgetMs`: then
 * it lets the webhook go and the dispatcher claims it again behind the others that are due, so a
 * long backlog of one webhook takes turns with the rest.
 */
async function deliverBatch(
  options: WebhookWorkerOptions,
  claim: ClaimedWebhook,
  token: string,
  signal: AbortSignal,
): Promise<void> {
  const webhookId = claim.id.toString();
  const url = new URL(claim.url);
  const events = await eventStore.findBodies(
    options.prisma,
    { xact: claim.cursorXact, id: claim.cursorEventId },
    limits.webhookBatchMax,
  );
  const budgetEndsMs = Date.now() + limits.webhookClaimBudgetMs;
  let attempts = claim.attempts;
  // The cursor's move past the previous event, committing while the next event is being sent:
  // one event's time is then one POST, not a POST plus a commit. Its answer is awaited before
  // anything else happens, so a deleted webhook or a lost lease still stops the loop with at
  // most the one delivery in flight; a crash re-sends at most that one more (at least once).
  let advancing: Promise<boolean> | undefined;
  const advanced = async (): Promise<boolean> => {
    const moved = advancing ? await advancing : true;
    advancing = undefined;
    return moved;
  };
  for (const event of events) {
    if (signal.aborted || Date.now() >= budgetEndsMs) break;
    const result = await deliver(url, claim.secret, eventBody(event), options.policy, signal);
    // False: the webhook was deleted or the lease lost; whoever holds it now carries on.
    if (!(await advanced()) || signal.aborted) return;
    options.metrics.attempt(webhookId, result.ok, result.durationMs / 1000);
    if (!result.ok) {
      attempts += 1;
      if (!(await recordFailedAttempt(options, claim, token, event, result, attempts))) return;
      attempts = 0;
      continue;
    }
    options.metrics.delivered(webhookId, (Date.now() - event.createdAt.getTime()) / 1000);
    attempts = 0;
    const position = { xact: BigInt(event.xact), id: BigInt(event.id) };
    advancing = webhookStore.advance(options.prisma, claim.id, token, position, options.leaseMs);
    // Awaited above or below; this only keeps an abandoned one (abort) from being unhandled.
    advancing.catch(() => undefined);
  }
  await advanced();
}

/**
 * The delivery loop of one process. Every replica runs one. Its dispatcher claims webhooks that
 * are due (FOR UPDATE SKIP LOCKED, then a lease), one at a time, and hands each to a delivery of
 * its own, up to `concurrency` at once (by default limits.webhooksMax: every webhook can be in
 * delivery at the same time, so a slow or dead receiver never holds another webhook's turn). A
 * delivery sends its webhook's events in feed order, moving the cursor after each 2xx, and stops
 * at the first failure, which schedules a retry with backoff: later events wait, for that webhook
 * only. An event that keeps failing for the retry window is recorded as failed and passed. A
 * process killed mid-delivery leaves its lease to expire; the next claim delivers the same event
 * again (same id): at least once.
 */
export function startWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const abort = new AbortController();
  const concurrency = options.concurrency ?? limits.webhookWorkerConcurrency;
  const running = new Set<Promise<void>>();
  // The dispatcher sleeps between polls; a delivery that ends wakes it, since its webhook may
  // have more events and a place is free.
  const pause = createPause(abort.signal);
  const launch = (claim: ClaimedWebhook, token: string) => {
    const task = deliverBatch(options, claim, token, abort.signal)
      .catch((err: unknown) => {
        if (!abort.signal.aborted)
          logger.warn({ err, webhook: claim.id.toString() }, 'webhook delivery failed');
      })
      .finally(async () => {
        await webhookStore.release(options.prisma, claim.id, token).catch(() => undefined);
        running.delete(task);
        pause.wake();
      });
    running.add(task);
  };
  const dispatch = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      // Every place taken: wait for one to free (its ending wakes the pause).
      if (running.size >= concurrency) {
        await pause.sleep(options.pollIntervalMs);
        continue;
      }
      try {
        const token = randomUUID();
        const claim = await webhookStore.claim(options.prisma, token, options.leaseMs);
        // Straight on to the next claim while there is work.
        if (claim && !abort.signal.aborted) {
          launch(claim, token);
          continue;
        }
        if (claim) await webhookStore.release(options.prisma, claim.id, token);
      } catch (err) {
        if (!abort.signal.aborted)
          logger.warn({ err }, 'webhook delivery pass failed; retrying shortly');
        // The database is likely out of reach: look again after a second, not at every poll.
        await pause.sleep(Math.max(options.pollIntervalMs, 1000));
        continue;
      }
      await pause.sleep(options.pollIntervalMs);
    }
  };
  const dispatcher = dispatch();

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      abort.abort();
      stopped ??= dispatcher.then(async () => {
        while (running.size > 0) await Promise.all([...running]);
      });
      return stopped;
    },
  };
}
