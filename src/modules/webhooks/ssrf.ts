import {
  promises as dns,
  lookup as dnsLookup,
  type LookupAddress,
  type LookupOptions,
} from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { badUserInput } from '../../shared/errors';
import { limits } from '../../shared/limits';

/**
 * Server-side request forgery rules for webhook URLs. A webhook makes the gateway send requests
 * where an admin says; without these rules that could be the cloud metadata service, a database
 * port or an admin panel inside the network. In production a host must resolve only to public
 * addresses unless it is listed in WEBHOOK_ALLOWED_HOSTS; development and tests also allow
 * loopback (receivers on 127.0.0.1). The check runs when the webhook is created and again at
 * every delivery, on the addresses the connection actually uses (DNS can change in between).
 */
export interface SsrfPolicy {
  production: boolean;
  /** Lower-case host names or IP literals exempt from the address rules. */
  allowedHosts: readonly string[];
}

/**
 * The address rules use ipaddr.js's classification (its IANA special-purpose registries), not a
 * hand list: only `unicast` (global unicast) may be called. That refuses loopback, private
 * (RFC 1918, fc00::/7 with fd00:ec2::254, the IPv6 metadata service), link-local (169.254/16 holds
 * the cloud metadata services 169.254.169.254 and 169.254.170.2; fe80::/10), carrier-grade NAT
 * (100.100.100.200 is a metadata service), "this network", multicast, broadcast, benchmarking,
 * documentation (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32), the 6to4 relay anycast
 * 192.88.99/24, site-local fec0::/10, Teredo, ORCHID, discard-only and reserved ranges.
 */
const callableRange = 'unicast';
/** Ranges named in refusals as "loopback, private, link-local or metadata". */
const internalRanges = new Set([
  'loopback',
  'private',
  'linkLocal',
  'uniqueLocal',
  'carrierGradeNat',
  'unspecified',
]);

function ipv4Of(parts: readonly number[]): ipaddr.IPv4 {
  const [high, low] = [parts[0]!, parts[1]!];
  return new ipaddr.IPv4([high >> 8, high & 255, low >> 8, low & 255]);
}

/**
 * The IPv4 address an IPv6 one carries and is judged by: IPv4-mapped (::ffff:0:0/96), translated
 * (::ffff:0:0:0/96, RFC 6145), NAT64 well-known (64:ff9b::/96), 6to4 (2002::/16, the IPv4 in bits
 * 16..47) and the deprecated IPv4-compatible ::/96 (::7f00:1 is 127.0.0.1). undefined: none, or a
 * form whose IPv4 cannot be told from the address (64:ff9b:1::/48, local-use NAT64: refused).
 */
function embeddedIpv4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const parts = v6.parts;
  const range = v6.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return ipv4Of(parts.slice(6));
  if (range === 'rfc6052') return v6.match(wellKnownNat64) ? ipv4Of(parts.slice(6)) : undefined;
  if (range === '6to4') return ipv4Of(parts.slice(1, 3));
  // ::/96 but :: and ::1 (their own ranges): IPv4-compatible.
  if (range === 'unicast' && parts.slice(0, 6).every((part) => part === 0))
    return ipv4Of(parts.slice(6));
  return undefined;
}
const wellKnownNat64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/** Why the address may not be called under the policy, or undefined when it may. */
export function addressRefusal(address: string, policy: SsrfPolicy): string | undefined {
  if (isIP(address) === 0 || !ipaddr.isValid(address)) return `${address} is not an IP address`;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v4 = embeddedIpv4(parsed as ipaddr.IPv6);
    if (v4) parsed = v4;
  }
  const range = parsed.range();
  if (!policy.production && range === 'loopback') return undefined;
  if (range === callableRange) return undefined;
  if (internalRanges.has(range))
    return `${address} is a loopback, private, link-local or metadata address (${range})`;
  return `${address} is not a public unicast address (${range})`;
}

function hostOf(url: URL): string {
  // URL keeps IPv6 literals in brackets.
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/**
 * One WEBHOOK_ALLOWED_HOSTS entry: `host`, `host:port`, an IPv4 literal with or without a port,
 * `[v6]:port`, or a bare IPv6 literal. Without a port it allows the host on any port; with one,
 * that port only (an internal CRM's webhook port, not its admin or database ports).
 */
export function parseAllowedHost(entry: string): { host: string; port?: number } | undefined {
  const lower = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(lower);
  const [host, port] = bracketed
    ? [bracketed[1]!, bracketed[2]]
    : (lower.match(/:/g) ?? []).length === 1
      ? (lower.split(':') as [string, string])
      : [lower, undefined];
  if (!host) return undefined;
  if (port === undefined) return { host };
  const number = /^\d{1,5}$/.test(port) ? Number(port) : 0;
  return number >= 1 && number <= 65535 ? { host, port: number } : undefined;
}

function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

export function isAllowedHost(url: URL, policy: SsrfPolicy): boolean {
  const host = hostOf(url);
  const port = portOf(url);
  return policy.allowedHosts.some((entry) => {
    const allowed = parseAllowedHost(entry);
    return allowed?.host === host && (allowed.port === undefined || allowed.port === port);
  });
}

/**
 * Checks a URL given to createWebhook: its form, and (unless the host is allow-listed) every
 * address its host resolves to now. Every failure is BAD_USER_INPUT naming the field `url`.
 */
export async function validateWebhookUrl(raw: string, policy: SsrfPolicy): Promise<URL> {
  const refuse = (why: string) => badUserInput(`url ${why}.`, 'url');
  if (raw.length === 0 || raw.length > limits.webhookUrlLengthMax)
    throw refuse(`must be 1..${limits.webhookUrlLengthMax} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('must use http or https');
  if (url.username || url.password) throw refuse('must not contain credentials');
  if (!url.hostname) throw refuse('must name a host');
  if (url.hash) throw refuse('must not contain a fragment');
  if (isAllowedHost(url, policy)) return url;
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await dns.lookup(host, { all: true, verbatim: true })).map(
        (entry) => entry.address,
      );
    } catch {
      throw refuse(`host ${host} does not resolve`);
    }
  }
  for (const address of addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal)
      throw refuse(
        `host ${host} resolves to ${refusal}; list the host in WEBHOOK_ALLOWED_HOSTS to allow it`,
      );
  }
  return url;
}

/** An error that stops a delivery before any byte is sent to a refused address. */
export class RefusedAddressError extends Error {}

/**
 * The delivery-time check. For an IP-literal host (Node does no lookup) it checks the literal; for
 * a name it returns a `lookup` for http.request that refuses the connection if any resolved
 * address is refused, so the address checked is the address connected to.
 */
export function deliveryLookup(
  url: URL,
  policy: SsrfPolicy,
  resolve: typeof dnsLookup = dnsLookup,
): { refusal?: string; lookup?: typeof dnsLookup } {
  if (isAllowedHost(url, policy)) return {};
  const host = hostOf(url);
  if (isIP(host)) {
    const refusal = addressRefusal(host, policy);
    return refusal ? { refusal } : {};
  }
  const lookup = ((
    hostname: string,
    options: LookupOptions,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    // Resolve, check, then hand the checked addresses to the socket: Node connects to what this
    // callback returns and resolves nothing itself, so a name that answers differently a moment
    // later (DNS rebinding) cannot put an unchecked address under the connection.
    resolve(hostname, { ...options, all: true }, (err, entries: LookupAddress[]) => {
      if (err) return callback(err, '');
      const refused = entries
        .map((entry) => addressRefusal(entry.address, policy))
        .find((reason) => reason !== undefined);
      if (refused)
        return callback(new RefusedAddressError(`host ${hostname} resolves to ${refused}`), '');
      if (options.all) return callback(null, entries);
      const first = entries[0];
      if (!first) return callback(new Error(`host ${hostname} resolved to no address`), '');
      return callback(null, first.address, first.family);
    });
  }) as unknown as typeof dnsLookup;
  return { lookup };
}
