// Proves WEBHOOK_ALLOWED_HOSTS entries may name a port (only that port is then allowed, in production, at registration and at delivery), and that a receiver's error answer reaches lastError as its status plus at most 200 printable characters, over real HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliver } from '../../src/modules/webhooks/delivery';
import { deliveryLookup, validateWebhookUrl } from '../../src/modules/webhooks/ssrf';
import { loadConfig } from '../../src/shared/config';
import { limits } from '../../src/shared/limits';

const policy = (allowedHosts: string[]) => ({ production: true, allowedHosts });

describe('WEBHOOK_ALLOWED_HOSTS with ports', () => {
  it('an entry with a port allows that port only; one without allows any port', async () => {
    const hosts = ['127.0.0.1:8443', 'crm.internal:9000', '[fd00::5]:8443', '10.0.0.12'];
    for (const url of [
      'http://127.0.0.1:8443/hook',
      'https://crm.internal:9000/hook',
      'https://[fd00::5]:8443/hook',
      'http://10.0.0.12/hook',
      'http://10.0.0.12:5432/hook',
    ])
      await expect(validateWebhookUrl(url, policy(hosts))).resolves.toBeInstanceOf(URL);
    for (const url of [
      'http://127.0.0.1:8444/hook',
      'http://127.0.0.1/hook',
      'https://127.0.0.1/hook',
      'https://crm.internal/hook',
      'https://[fd00::5]/hook',
    ])
      await expect(validateWebhookUrl(url, policy(hosts))).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'url' },
      });
    // A default port is the scheme's: 443 for https, 80 for http.
    await expect(
      validateWebhookUrl('https://127.0.0.1/hook', policy(['127.0.0.1:443'])),
    ).resolves.toBeInstanceOf(URL);
    // At delivery the same rule: the allowed port needs no check, another port is refused.
    expect(deliveryLookup(new URL('http://127.0.0.1:8443/x'), policy(hosts))).toEqual({});
    expect(deliveryLookup(new URL('http://127.0.0.1:8444/x'), policy(hosts)).refusal).toMatch(
      /loopback/,
    );
  });

  it('the setting accepts host:port, [ipv6]:port and bare IPv6 entries and refuses a bad port', () => {
    expect(
      loadConfig({
        NODE_ENV: 'test',
        WEBHOOK_ALLOWED_HOSTS: 'CRM.internal:8443, [fd00::5]:443, fd00::6, 10.0.0.12',
      }).WEBHOOK_ALLOWED_HOSTS,
    ).toEqual(['crm.internal:8443', '[fd00::5]:443', 'fd00::6', '10.0.0.12']);
    for (const bad of ['crm.internal:0', 'crm.internal:65536', 'crm.internal:http', '[fd00::5]x'])
      expect(() => loadConfig({ NODE_ENV: 'test', WEBHOOK_ALLOWED_HOSTS: bad })).toThrow(
        /WEBHOOK_ALLOWED_HOSTS/,
      );
  });
});

describe("lastError and a receiver's body", () => {
  let server: http.Server;
  let url: URL;
  let answer = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 500;
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('keeps the status and at most 200 printable characters of the body', async () => {
    answer = `<html>\r\n\x1b[31mboom\x1b[0m\u0000\u2028${'x'.repeat(3000)}</html>`;
    const result = await deliver(url, 's'.repeat(32), '{}', {
      production: false,
      allowedHosts: [],
    });
    expect(result).toMatchObject({ ok: false, status: 500 });
    const error = result.error!;
    expect(error.startsWith('HTTP 500: <html> [31mboom [0m xxx')).toBe(true);
    // eslint-disable-next-line no-control-regex
    expect(error).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(error.length).toBeLessThanOrEqual(
      'HTTP 500: '.length + limits.webhookErrorBodyCharsMax + '...'.length,
    );
    expect(limits.webhookErrorBodyCharsMax).toBe(200);
    answer = 'invalid signature';
    expect(
      (await deliver(url, 's'.repeat(32), '{}', { production: false, allowedHosts: [] })).error,
    ).toBe('HTTP 500: invalid signature');
  });
});
