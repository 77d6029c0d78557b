// Proves the SSRF address rules refuse every IPv4-embedding IPv6 form over an internal address, the documentation, benchmark, 6to4-relay and site-local ranges, and that a delivery connects to exactly the address its lookup checked (a name answering differently at delivery, DNS rebinding, is refused before a byte is sent).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { addressRefusal, deliveryLookup } from '../../src/modules/webhooks/ssrf';

const production = { production: true, allowedHosts: [] };
const development = { production: false, allowedHosts: [] };

it('refuses IPv4-mapped, translated, NAT64, 6to4 and IPv4-compatible forms of internal addresses', () => {
  for (const address of [
    '::7f00:1', // IPv4-compatible 127.0.0.1
    '::a00:1', // IPv4-compatible 10.0.0.1
    '::ffff:7f00:1',
    '::ffff:127.0.0.1',
    '::ffff:0:7f00:1', // ::ffff:0:0:0/96 (RFC 6145) over 127.0.0.1
    '::ffff:0:a9fe:a9fe', // the same over 169.254.169.254
    '::ffff:0:0', // ::ffff:0.0.0.0
    '64:ff9b::a00:1', // NAT64 over 10.0.0.1
    '64:ff9b::7f00:1',
    '64:ff9b:1::a00:1', // local-use NAT64: refused whatever it carries
    '64:ff9b:1::808:808',
    '2002:7f00:1::', // 6to4 over 127.0.0.1
    '2002:a00:1::1', // 6to4 over 10.0.0.1
    '2002:c0a8:101::1', // 6to4 over 192.168.1.1
    '2002:a9fe:a9fe::', // 6to4 over 169.254.169.254
    '2001::1', // Teredo
  ])
    expect({ address, refused: addressRefusal(address, production) !== undefined }).toEqual({
      address,
      refused: true,
    });
});

it('refuses documentation, benchmark, 6to4-relay and site-local ranges', () => {
  for (const address of [
    '192.0.2.1',
    '192.0.2.254',
    '198.51.100.7',
    '203.0.113.9',
    '2001:db8::1',
    '2001:db8:ffff::1',
    '198.18.0.1',
    '198.19.255.254',
    '2001:2::1', // IPv6 benchmarking
    '192.88.99.1',
    'fec0::1',
    'feff:ffff::1',
  ])
    expect({ address, refused: addressRefusal(address, production) !== undefined }).toEqual({
      address,
      refused: true,
    });
});

it('still allows public addresses in every form that carries one', () => {
  for (const address of [
    '8.8.8.8',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])
    expect({ address, refused: addressRefusal(address, production) }).toEqual({
      address,
      refused: undefined,
    });
  // Outside production loopback is allowed in its embedded forms too, the rest is not.
  expect(addressRefusal('::7f00:1', development)).toBeUndefined();
  expect(addressRefusal('192.0.2.1', development)).toBeDefined();
});

describe('resolve, check, connect', () => {
  let server: http.Server;
  let port: number;
  let connections = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A resolver that answers each call with the next address of the list (a rebinding name). */
  function rebinding(addresses: string[]) {
    const calls: string[] = [];
    const resolve = (
      _host: string,
      _options: LookupOptions,
      callback: (err: Error | null, entries: LookupAddress[]) => void,
    ) => {
      const address = addresses[Math.min(calls.length, addresses.length - 1)]!;
      calls.push(address);
      callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
    };
    return { resolve: resolve as never, calls };
  }

  function post(lookup: unknown): Promise<{ remoteAddress?: string; error?: string }> {
    return new Promise((resolve) => {
      const request = http.request(`http://rebind.invalid:${port}/hook`, {
        method: 'POST',
        lookup: lookup as never,
        agent: false,
      });
      request.on('response', (response) => {
        const remoteAddress = response.socket.remoteAddress;
        response.resume();
        response.on('end', () => resolve({ remoteAddress }));
      });
      request.on('error', (error) => resolve({ error: error.message }));
      request.end('{}');
    });
  }

  it('connects to the address the lookup checked', async () => {
    const name = rebinding(['127.0.0.1']);
    const { lookup } = deliveryLookup(
      new URL(`http://rebind.invalid:${port}/hook`),
      development,
      name.resolve,
    );
    const answer = await post(lookup);
    expect(answer).toEqual({ remoteAddress: '127.0.0.1' });
    expect(name.calls).toEqual(['127.0.0.1']);
  });

  it('a name that now answers with a refused address is refused before connecting', async () => {
    // Checked once as 127.0.0.1 (allowed outside production), then rebinding to 10.0.0.1 and
    // to an embedded form of it: no connection is made.
    for (const rebound of ['10.0.0.1', '::ffff:0:a00:1', '2002:a00:1::1']) {
      const name = rebinding(['127.0.0.1', rebound]);
      const url = new URL(`http://rebind.invalid:${port}/hook`);
      expect(await post(deliveryLookup(url, development, name.resolve).lookup)).toEqual({
        remoteAddress: '127.0.0.1',
      });
      const before = connections;
      const answer = await post(deliveryLookup(url, development, name.resolve).lookup);
      expect(answer.error).toMatch(/resolves to/);
      expect(connections).toBe(before);
    }
  });
});
