import {
  promises as dns,
  lookup as dnsLookup,
  type LookupAddress,
  type LookupOptions,
} from 'node:dns';
import { BlockList, isIP } from 'node:net';
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

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

// Loopback, private (RFC 1918, unique-local), link-local (169.254/16 holds the cloud metadata
// services, 169.254.169.254 and 169.254.170.2), carrier-grade NAT (100.100.100.200 is a metadata
// service), "this network", benchmarking, IETF protocol assignments, multicast and reserved.
const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(network, prefix, 'ipv4');
// fc00::/7 includes fd00:ec2::254, the IPv6 metadata service.
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['100::', 64],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** An IPv6 address that carries an IPv4 one (::ffff:a.b.c.d, NAT64 64:ff9b::/96) is judged by the IPv4 one. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return undefined;
}

/** Why the address may not be called under the policy, or undefined when it may. */
export function addressRefusal(address: string, policy: SsrfPolicy): string | undefined {
  const v4 = isIP(address) === 6 ? embeddedIpv4(address) : undefined;
  const candidate = v4 ?? address;
  const family = isIP(candidate) === 4 ? 'ipv4' : 'ipv6';
  if (isIP(candidate) === 0) return `${address} is not an IP address`;
  if (!policy.production && loopback.check(candidate, family)) return undefined;
  if (blocked.check(candidate, family))
    return `${address} is a loopback, private, link-local or metadata address`;
  return undefined;
}

function hostOf(url: URL): string {
  // URL keeps IPv6 literals in brackets.
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

export function isAllowedHost(url: URL, policy: SsrfPolicy): boolean {
  return policy.allowedHosts.includes(hostOf(url));
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
    dnsLookup(hostname, { ...options, all: true }, (err, entries: LookupAddress[]) => {
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
