import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../../generated/prisma/client';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import { normaliseBodyDates } from '../events/event-objects';
import { eventStore, type EventBodyRow } from '../events/events.store';
import { deliver } from './delivery';
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

/**
 * The delivery loop of one process. Every replica runs one: a slot claims a webhook that is due
 * (FOR UPDATE SKIP LOCKED, then a lease), delivers its events in feed order, moving the webhook's
 * cursor after each 2xx, and stops at the first failure, which schedules a retry with backoff:
 * later events wait, for that webhook only. An event that keeps failing for the retry window is
 * recorded as failed and passed. A process killed mid-delivery leaves its lease to expire; the
 * next claim delivers the same event again (same id): at least once.
 */
export function startWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const abort = new AbortController();
  const slots: Promise<void>[] = [];
  // Idle slots sleep; a slot that finds work wakes the others, since more is likely due.
  const sleepers = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of sleepers) wake();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        abort.signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      sleepers.add(wake);
      abort.signal.addEventListener('abort', wake, { once: true });
    });

  const deliverBatch = async (claim: ClaimedWebhook, token: string): Promise<void> => {
    const webhookId = claim.id.toString();
    const url = new URL(claim.url);
    const events = await eventStore.findBodies(
      options.prisma,
      { xact: claim.cursorXact, id: claim.cursorEventId },
      limits.webhookBatchMax,
    );
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
      if (abort.signal.aborted) return;
      const position = { xact: BigInt(event.xact), id: BigInt(event.id) };
      const result = await deliver(
        url,
        claim.secret,
        eventBody(event),
        options.policy,
        abort.signal,
      );
      // False: the webhook was deleted or the lease lost; whoever holds it now carries on.
      if (!(await advanced())) return;
      if (abort.signal.aborted) return;
      options.metrics.attempt(webhookId, result.ok, result.durationMs / 1000);
      if (result.ok) {
        options.metrics.delivered(webhookId, (Date.now() - event.createdAt.getTime()) / 1000);
        attempts = 0;
        advancing = webhookStore.advance(
          options.prisma,
          claim.id,
          token,
          position,
          options.leaseMs,
        );
        // Awaited above or below; this only keeps an abandoned one (abort) from being unhandled.
        advancing.catch(() => undefined);
        continue;
      }
      attempts += 1;
      const failure = await webhookStore.recordFailure(options.prisma, claim.id, token, {
        error: (result.error ?? 'failed').slice(0, limits.webhookErrorTextMax),
        delayMs: backoffMs(attempts, options.backoffBaseMs, options.backoffMaxMs),
        retryWindowMs: options.retryWindowMs,
      });
      if (!failure) return;
      if (!failure.windowOver) return;
      logger.warn(
        { webhook: webhookId, event: event.id, attempts: failure.attempts, error: result.error },
        'webhook delivery given up after the retry window',
      );
      options.metrics.gaveUp(webhookId);
      attempts = 0;
      if (!(await webhookStore.giveUp(options.prisma, claim.id, token, position, options.leaseMs)))
        return;
    }
    await advanced();
  };

  // Only the first slot polls at the poll interval; the others look rarely on their own and are
  // woken when work turns up, so an idle gateway costs one small query per interval.
  const runSlot = async (slot: number): Promise<void> => {
    const idleMs = slot === 0 ? options.pollIntervalMs : options.pollIntervalMs * 8;
    while (!abort.signal.aborted) {
      let skipSleep = false;
      try {
        const token = randomUUID();
        const claim = await webhookStore.claim(options.prisma, token, options.leaseMs);
        if (claim) {
          skipSleep = true;
          wakeAll();
          try {
            await deliverBatch(claim, token);
          } finally {
            await webhookStore.release(options.prisma, claim.id, token).catch(() => undefined);
          }
        }
      } catch (err) {
        if (!abort.signal.aborted)
          logger.warn({ err }, 'webhook delivery pass failed; retrying shortly');
        // The database is likely out of reach: look again after a second, not at every poll.
        await sleep(Math.max(idleMs, 1000));
        skipSleep = true;
      }
      // Straight on while there is work (a claim succeeded, or the error pause was taken);
      // otherwise wait for the next poll.
      if (!skipSleep) await sleep(idleMs);
    }
  };

  const concurrency = options.concurrency ?? limits.webhookWorkerConcurrency;
  for (let slot = 0; slot < concurrency; slot += 1) slots.push(runSlot(slot));

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      abort.abort();
      stopped ??= Promise.all(slots).then(() => undefined);
      return stopped;
    },
  };
}
