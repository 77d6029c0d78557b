import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { limits } from '../../shared/limits';

/** Delivery latency buckets, in seconds: 5 ms to 60 s (a retried event is slower by its backoff). */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface WebhookMetrics {
  /** One delivery attempt: delivered (2xx) or failed (anything else, or no answer). */
  attempt(webhookId: string, delivered: boolean, requestSeconds: number): void;
  /** An event delivered: seconds from its commit to the receiver's 2xx. */
  delivered(webhookId: string, latencySeconds: number): void;
  /** An event given up on after the retry window. */
  gaveUp(webhookId: string): void;
}

/** What the gauges read from the database. */
interface FeedReads {
  feedLagSeconds(): Promise<number>;
  backlog(cap: number): Promise<{ id: string; pending: number; failed: number }[]>;
}

/** The gauges, read from the database at each scrape. */
function registerFeedGauges(registry: Registry, reads: FeedReads): void {
  new Gauge({
    name: 'wallet_events_feed_lag_seconds',
    help: 'Age of the oldest event written but not yet in the feed (its transaction or an older one is still running); 0 when none.',
    registers: [registry],
    async collect() {
      this.set(await reads.feedLagSeconds().catch(() => 0));
    },
  });
  const backlog = () => reads.backlog(limits.webhookPendingCountMax).catch(() => []);
  new Gauge({
    name: 'wallet_webhook_pending_events',
    help: `Events in the feed not yet delivered to the webhook (counted up to ${limits.webhookPendingCountMax}).`,
    labelNames: ['webhook'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await backlog()) this.set({ webhook: row.id }, row.pending);
    },
  });
  new Gauge({
    name: 'wallet_webhook_failed_events',
    help: 'Events the webhook gave up on after the retry window (Webhook.failedEvents).',
    labelNames: ['webhook'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await backlog()) this.set({ webhook: row.id }, row.failed);
    },
  });
}

/**
 * The feed's and the webhooks' metrics, on the gateway's own registry (served at /metrics). The
 * counters count what this process did; the gauges are read from the database at each scrape,
 * so every replica reports the same backlog and nothing drifts.
 */
export function createFeedMetrics(registry: Registry, reads: FeedReads): WebhookMetrics {
  registerFeedGauges(registry, reads);
  const attempts = new Counter({
    name: 'wallet_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by this process, by webhook and outcome (delivered or failed).',
    labelNames: ['webhook', 'outcome'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'wallet_webhook_delivery_failures_total',
    help: 'Events this process gave up delivering to a webhook after the retry window, by webhook.',
    labelNames: ['webhook'] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: 'wallet_webhook_request_duration_seconds',
    help: 'Duration of one webhook POST, from connect to answer, by webhook.',
    labelNames: ['webhook'] as const,
    buckets: latencyBuckets,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'wallet_webhook_delivery_latency_seconds',
    help: "Time from an event's commit to its receiver's 2xx answer, by webhook.",
    labelNames: ['webhook'] as const,
    buckets: latencyBuckets,
    registers: [registry],
  });
  return {
    attempt(webhookId, delivered, requestSeconds) {
      attempts.inc({ webhook: webhookId, outcome: delivered ? 'delivered' : 'failed' });
      requestDuration.observe({ webhook: webhookId }, requestSeconds);
    },
    delivered(webhookId, latencySeconds) {
      latency.observe({ webhook: webhookId }, Math.max(0, latencySeconds));
    },
    gaveUp(webhookId) {
      failures.inc({ webhook: webhookId });
    },
  };
}
