/**
 * The NOTIFY channel of live-subscription wake-ups. The engine's posting statement queues one
 * pg_notify per user entry on it (delivered only at commit); the subscriptions module listens.
 */
export const walletEventsChannel = 'wallet_events';
