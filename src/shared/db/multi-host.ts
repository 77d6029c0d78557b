import net from 'node:net';
import pg from 'pg';
import { logger } from '../logger';

/**
 * libpq-style multi-host connection strings for node-postgres, which takes one host per client:
 * postgresql://user@h1:5432,h2:5433/wallet?target_session_attrs=read-write (the form
 * `pg_autoctl show uri` prints). Every connection the gateway opens gets a socket that first asks
 * a per-URL router which host is writable, so pools, the LISTEN connection and migrations all
 * follow a failover without a restart. A single-host URL passes through untouched.
 */

export interface HostPort {
  host: string;
  port: number;
}

export type TargetSessionAttrs = 'read-write' | 'primary' | 'any';

export interface MultiHostUrl {
  hosts: HostPort[];
  targetSessionAttrs: TargetSessionAttrs;
  /** The same URL naming only the first host, without target_session_attrs: what pg parses. */
  firstHostUrl: string;
  /** What goes before and after the host in a one-host URL (scheme and user; path and query). */
  prefix: string;
  suffix: string;
}

/** The one-host URL for `host` (pg's connection string wins over separate host and port). */
export function urlForHost(url: MultiHostUrl, host: HostPort): string {
  return `${url.prefix}${formatHost(host.host)}:${host.port}${url.suffix}`;
}

const defaultPort = 5432;

/**
 * Splits a connection URL's host list, or returns undefined for a URL with one host (including a
 * URL that WHATWG URL parsing accepts as is). Only the authority is looked at: user, password,
 * path and query stay as written.
 */
export function parseMultiHostUrl(connectionString: string): MultiHostUrl | undefined {
  const match = /^(postgres(?:ql)?:\/\/)([^/?#]*)(.*)$/s.exec(connectionString);
  if (!match) return undefined;
  const [, scheme, authority, rest] = match;
  const at = authority.lastIndexOf('@');
  const userInfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;
  if (!hostList.includes(',')) return undefined;
  const hosts = hostList.split(',').map(parseHostPort);
  const query = new URLSearchParams(rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : '');
  const attrs = query.get('target_session_attrs') ?? 'read-write';
  if (attrs !== 'read-write' && attrs !== 'primary' && attrs !== 'any') {
    throw new Error(
      `target_session_attrs must be read-write, primary or any in a multi-host URL (got "${attrs}")`,
    );
  }
  query.delete('target_session_attrs');
  const path = rest.includes('?') ? rest.slice(0, rest.indexOf('?')) : rest;
  const queryText = query.toString();
  const prefix = `${scheme}${userInfo}`;
  const suffix = `${path}${queryText ? `?${queryText}` : ''}`;
  const first = hosts[0];
  const firstHostUrl = `${prefix}${formatHost(first.host)}:${first.port}${suffix}`;
  return { hosts, targetSessionAttrs: attrs, firstHostUrl, prefix, suffix };
}

function parseHostPort(entry: string): HostPort {
  const trimmed = entry.trim();
  if (trimmed === '') throw new Error('A multi-host connection URL has an empty host entry');
  // [::1]:5432 for IPv6; otherwise host[:port].
  const ipv6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(trimmed);
  const parts = ipv6 ?? plain;
  if (!parts) throw new Error(`A multi-host connection URL has an invalid host entry "${trimmed}"`);
  const port = parts[2] === undefined ? defaultPort : Number(parts[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`A multi-host connection URL has an invalid port in "${trimmed}"`);
  }
  return { host: parts[1], port };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** How the router probes and how often it checks that its primary is still the primary. */
export interface RouterSettings {
  probeTimeoutMs: number;
  watchIntervalMs: number;
  /** After a probe found no usable host, callers within this time fail at once (no probe storm). */
  negativeCacheMs: number;
}

const defaultSettings: RouterSettings = {
  probeTimeoutMs: 2_000,
  watchIntervalMs: 1_000,
  negativeCacheMs: 250,
};

/**
 * An error that isDatabaseUnavailable recognises by its SQLSTATE: 08001 is libpq's
 * "sqlclient unable to establish sqlconnection", what it reports when no host qualifies.
 */
export class NoUsableHostError extends Error {
  readonly code = '08001';
  constructor(detail: string) {
    super(`No usable database host: ${detail}`);
    this.name = 'NoUsableHostError';
  }
}

/**
 * Finds the host that matches target_session_attrs, caches it, and watches it: once a second
 * (only while connections to it are open) one query asks whether it is still writable; when it is
 * not, or a connection to it fails, every socket to it is destroyed (their pools discard those
 * clients) and the next connection probes the hosts again, in the URL's order.
 */
export class HostRouter {
  private current: HostPort | undefined;
  /** The host chosen last, kept while `current` is cleared, to tell a switch from a reconnect. */
  private lastChosen: HostPort | undefined;
  private probing: Promise<HostPort> | undefined;
  private confirming: Promise<true | string> | undefined;
  private confirmedAtMs = 0;
  private lastFailure: { atMs: number; error: Error } | undefined;
  private readonly sockets = new Map<net.Socket, HostPort>();
  private watchTimer: NodeJS.Timeout | undefined;
  private watching = false;
  /** Times the primary changed (a failover seen by this process); for logs and tests. */
  switches = 0;

  constructor(
    readonly url: MultiHostUrl,
    private readonly settings: RouterSettings = defaultSettings,
  ) {}

  /**
   * The host a new connection should go to, probing when none is known. A host not confirmed
   * within the watch interval is confirmed first: with no connection open nothing watched it,
   * and it may have been demoted meanwhile (reads there would succeed, but stale).
   */
  async target(): Promise<HostPort> {
    const known = this.current;
    if (known && Date.now() - this.confirmedAtMs < this.settings.watchIntervalMs) return known;
    if (known) {
      this.confirming ??= this.probe(known).finally(() => {
        this.confirming = undefined;
      });
      if ((await this.confirming) === true && this.current && sameHost(this.current, known)) {
        this.confirmedAtMs = Date.now();
        return known;
      }
      if (this.current && sameHost(this.current, known)) this.drop(known, 'no longer qualifies');
    }
    if (this.lastFailure && Date.now() - this.lastFailure.atMs < this.settings.negativeCacheMs) {
      throw this.lastFailure.error;
    }
    this.probing ??= this.probeAll().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /** The host the router currently sends connections to, if it knows one. */
  get primary(): HostPort | undefined {
    return this.current;
  }

  /** Called by each routed socket once it knows its host. */
  track(socket: net.Socket, host: HostPort): void {
    this.sockets.set(socket, host);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size === 0) this.stopWatching();
    });
    socket.once('error', () => this.suspect(host));
    this.startWatching();
  }

  /** Something went wrong on a connection to `host`: find out now whether it is still usable. */
  suspect(host: HostPort): void {
    if (this.current && sameHost(this.current, host)) void this.verify();
  }

  private async probeAll(): Promise<HostPort> {
    const reasons: string[] = [];
    for (const host of this.url.hosts) {
      const verdict = await this.probe(host);
      if (verdict === true) {
        this.choose(host);
        return host;
      }
      reasons.push(`${host.host}:${host.port} ${verdict}`);
    }
    const error = new NoUsableHostError(reasons.join('; '));
    this.lastFailure = { atMs: Date.now(), error };
    throw error;
  }

  private choose(host: HostPort): void {
    const previous = this.lastChosen;
    this.current = host;
    this.confirmedAtMs = Date.now();
    this.lastChosen = host;
    this.lastFailure = undefined;
    if (previous && !sameHost(previous, host)) this.switches += 1;
    if (!previous || !sameHost(previous, host)) {
      logger.info({ host: `${host.host}:${host.port}` }, 'database: using this host');
    }
  }

  /** True when `host` answers and qualifies, otherwise why not. */
  async probe(host: HostPort): Promise<true | string> {
    const client = new pg.Client({
      connectionString: urlForHost(this.url, host),
      connectionTimeoutMillis: this.settings.probeTimeoutMs,
      application_name: 'wallet-gateway-probe',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (this.url.targetSessionAttrs === 'any') return true;
      // libpq asks the same questions: read-write is "SHOW transaction_read_only" = off,
      // primary is "not in recovery".
      const sql =
        this.url.targetSessionAttrs === 'read-write'
          ? "SELECT current_setting('transaction_read_only') = 'off' AS ok"
          : 'SELECT NOT pg_is_in_recovery() AS ok';
      const result = await client.query<{ ok: boolean }>(sql);
      return result.rows[0]?.ok === true ? true : 'is read-only';
    } catch (error) {
      return `unreachable (${(error as Error).message})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Re-checks the current host; if it no longer qualifies, drops it and its sockets. */
  private async verify(): Promise<void> {
    const host = this.current;
    if (!host || this.watching) return;
    this.watching = true;
    try {
      const verdict = await this.probe(host);
      if (!this.current || !sameHost(this.current, host)) return;
      if (verdict === true) this.confirmedAtMs = Date.now();
      else this.drop(host, verdict);
    } finally {
      this.watching = false;
    }
  }

  /** Forgets `host` and closes every connection to it (their pools discard those clients). */
  private drop(host: HostPort, reason: string): void {
    logger.warn(
      { host: `${host.host}:${host.port}`, reason },
      'database: host no longer usable; dropping its connections',
    );
    this.current = undefined;
    for (const [socket, target] of this.sockets) {
      if (sameHost(target, host)) socket.destroy(new Error(`Connection terminated: ${reason}`));
    }
  }

  private startWatching(): void {
    if (this.watchTimer) return;
    this.watchTimer = setInterval(() => void this.verify(), this.settings.watchIntervalMs);
    this.watchTimer.unref();
  }

  private stopWatching(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = undefined;
  }
}

function sameHost(a: HostPort, b: HostPort): boolean {
  return a.host === b.host && a.port === b.port;
}

/**
 * A socket that ignores the host pg gives it and connects where the router says. pg creates the
 * socket, calls connect(port, host) and waits for 'connect' or 'error', so resolving first and
 * connecting afterwards is invisible to it (its connection timeout still covers both).
 */
class RoutedSocket extends net.Socket {
  constructor(private readonly router: HostRouter) {
    super();
  }

  override connect(...args: unknown[]): this {
    void args;
    this.router.target().then(
      (host) => {
        if (this.destroyed) return;
        this.router.track(this, host);
        super.connect(host.port, host.host);
      },
      (error: Error) => this.destroy(error),
    );
    return this;
  }
}

const routers = new Map<string, HostRouter>();

/** The one router per multi-host URL in this process, so that every pool shares its knowledge. */
export function routerFor(connectionString: string): HostRouter | undefined {
  const parsed = parseMultiHostUrl(connectionString);
  if (!parsed) return undefined;
  let router = routers.get(connectionString);
  if (!router) {
    router = new HostRouter(parsed);
    routers.set(connectionString, router);
  }
  return router;
}

/**
 * The pg client (or pool) configuration for a connection string: the string itself for one
 * host; for several, the first host's URL plus a socket that goes to the writable host.
 */
export function pgConnectionConfig(connectionString: string): pg.ClientConfig {
  const router = routerFor(connectionString);
  if (!router) return { connectionString };
  return {
    connectionString: router.url.firstHostUrl,
    stream: () => new RoutedSocket(router),
  };
}
