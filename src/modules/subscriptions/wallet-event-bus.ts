import pg from 'pg';
import { quoteIdentifier } from '../../shared/db/database';
import { pgConnectionConfig } from '../../shared/db/multi-host';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import { parseWalletEvent, walletEventsChannel, type WalletEvent } from './wallet-events';

/** What a live subscription hears from the bus. */
export interface WalletEventListener {
  /** A committed change to one of the user's wallets. */
  onEvent(event: WalletEvent): void;
  /**
   * Wake-ups may have been lost (the transport reconnected): re-read the wallets from the ledger.
   * Also called when the transport first connects, for listeners registered before it could.
   */
  onResync(): void;
}

export type WalletEventBusState = 'idle' | 'connecting' | 'listening' | 'reconnecting' | 'stopped';

export interface WalletEventBusStatus {
  state: WalletEventBusState;
  /** Users with at least one listener in this process, and listeners in all. */
  users: number;
  listeners: number;
  /** Connections lost and re-established since start. */
  reconnects: number;
}

/**
 * The transport of wallet wake-ups between gateway processes, kept to this one small interface so
 * that another broker (Redis pub/sub, say) can replace PostgreSQL without touching subscriptions.
 * Fan-out inside the process is by userId.
 */
export interface WalletEventBus {
  /** Registers a listener for one user's wallets; the returned function unregisters it. */
  subscribe(userId: string, listener: WalletEventListener): () => void;
  status(): WalletEventBusStatus;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface PgWalletEventBusOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, so operators (and tests) can find the LISTEN connection. */
  applicationName?: string;
  connectTimeoutMs: number;
  channel?: string;
}

/**
 * One dedicated LISTEN connection per process (a plain pg.Client, outside the pool, so that it is
 * never recycled or lent out), fanning notifications out in memory. A lost connection is
 * re-established with a growing backoff; once it listens again, every listener is told to resync,
 * because notifications sent while nobody listened are gone for good.
 */
export class PgWalletEventBus implements WalletEventBus {
  private readonly listeners = new Map<string, Set<WalletEventListener>>();
  private readonly channel: string;
  private client: pg.Client | undefined;
  private state: WalletEventBusState = 'idle';
  private reconnects = 0;
  private backoffMs: number = limits.walletEventsReconnectMinMs;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private listenerCount = 0;
  private everListened = false;

  constructor(private readonly options: PgWalletEventBusOptions) {
    this.channel = options.channel ?? walletEventsChannel;
  }

  subscribe(userId: string, listener: WalletEventListener): () => void {
    let set = this.listeners.get(userId);
    if (!set) {
      set = new Set();
      this.listeners.set(userId, set);
    }
    set.add(listener);
    this.listenerCount += 1;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listenerCount -= 1;
      const current = this.listeners.get(userId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(userId);
    };
  }

  status(): WalletEventBusStatus {
    return {
      state: this.state,
      users: this.listeners.size,
      listeners: this.listenerCount,
      reconnects: this.reconnects,
    };
  }

  /**
   * Makes the first connection attempt and returns; if the database is unreachable the gateway
   * still starts, and the bus keeps retrying in the background (readiness reports its state).
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'connecting';
    this.probeTimer = setInterval(() => void this.probe(), limits.walletEventsProbeIntervalMs);
    this.probeTimer.unref();
    await this.connect();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    const client = new pg.Client({
      ...pgConnectionConfig(this.options.connectionString),
      application_name: this.options.applicationName ?? 'wallet-gateway-listener',
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      keepAlive: true,
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.dispatch(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      logger.warn(
        { err: (err as Error).message, retryInMs: this.backoffMs },
        'wallet events: cannot listen; retrying',
      );
      this.scheduleReconnect();
      return;
    }
    // stop() may have run while this connection was being made.
    if (this.isStopped()) {
      await client.end().catch(() => undefined);
      return;
    }
    const isReconnect = this.everListened;
    this.everListened = true;
    this.client = client;
    this.state = 'listening';
    this.backoffMs = limits.walletEventsReconnectMinMs;
    if (isReconnect) {
      this.reconnects += 1;
      logger.info(
        { reconnects: this.reconnects },
        'wallet events: listening again; live subscriptions catch up from the ledger',
      );
    }
    // Whatever was committed while nobody listened is only in the ledger now.
    this.resyncAll();
  }

  /** Called for the connection's 'error' and 'end' alike; only the current connection counts. */
  private lost(client: pg.Client, err?: Error): void {
    if (client !== this.client) return;
    this.client = undefined;
    if (this.state === 'stopped') return;
    this.state = 'reconnecting';
    logger.warn({ err: err?.message }, 'wallet events: LISTEN connection lost; reconnecting');
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state === 'stopped' || this.reconnectTimer) return;
    if (this.state !== 'listening') this.state = 'reconnecting';
    // Jitter keeps a fleet of replicas from reconnecting in lockstep after a database restart.
    const delayMs = Math.round(this.backoffMs * (0.5 + Math.random() / 2));
    this.backoffMs = Math.min(this.backoffMs * 2, limits.walletEventsReconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delayMs);
    this.reconnectTimer.unref();
  }

  /** An idle LISTEN connection notices a half-open link only when it sends something. */
  private async probe(): Promise<void> {
    const client = this.client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('probe timed out')),
            limits.walletEventsProbeTimeoutMs,
          );
        }),
      ]);
    } catch (err) {
      this.lost(client, err as Error);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private dispatch(payload: string | undefined): void {
    const event = parseWalletEvent(payload);
    if (!event) {
      logger.warn(
        { payload: payload?.slice(0, 200) },
        'wallet events: malformed notification ignored',
      );
      return;
    }
    const set = this.listeners.get(event.userId);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener.onEvent(event);
      } catch (err) {
        logger.error({ err }, 'wallet events: listener failed');
      }
    }
  }

  private resyncAll(): void {
    for (const set of [...this.listeners.values()]) {
      for (const listener of [...set]) {
        try {
          listener.onResync();
        } catch (err) {
          logger.error({ err }, 'wallet events: listener failed to resync');
        }
      }
    }
  }
}

/**
 * A bus that never announces anything, for processes that serve no live subscriptions (the seed
 * and migration CLIs build the services without a gateway).
 */
export class InertWalletEventBus implements WalletEventBus {
  private listenerCount = 0;

  subscribe(): () => void {
    this.listenerCount += 1;
    let subscribed = true;
    return () => {
      if (subscribed) this.listenerCount -= 1;
      subscribed = false;
    };
  }

  status(): WalletEventBusStatus {
    return { state: 'idle', users: 0, listeners: this.listenerCount, reconnects: 0 };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
