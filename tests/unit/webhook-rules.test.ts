// Proves the webhook rules that need no server: address classification for SSRF in production and development, the retry backoff's growth, cap and jitter, the feed cursor's round trip and strictness, and the WEBHOOK_* settings' checks.
import { addressRefusal } from '../../src/modules/webhooks/ssrf';
import { backoffMs } from '../../src/modules/webhooks/webhook-worker';
import { decodeEventCursor, encodeEventCursor } from '../../src/modules/events/events.service';
import { loadConfig } from '../../src/shared/config';

const production = { production: true, allowedHosts: [] };
const development = { production: false, allowedHosts: [] };

it('refuses loopback, private, link-local, metadata and reserved addresses in production, and allows public ones', () => {
  const refused = [
    '127.0.0.1',
    '127.5.5.5',
    '::1',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '169.254.170.2',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    'fd00:ec2::254',
    'fe80::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
  ];
  for (const address of refused)
    expect({ address, refused: addressRefusal(address, production) !== undefined }).toEqual({
      address,
      refused: true,
    });
  for (const address of [
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
  ]) {
    expect({ address, refused: addressRefusal(address, production) }).toEqual({
      address,
      refused: undefined,
    });
  }
});

it('allows loopback, and only loopback, outside production', () => {
  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1'])
    expect(addressRefusal(address, development)).toBeUndefined();
  for (const address of ['10.0.0.1', '169.254.169.254', 'fe80::1'])
    expect(addressRefusal(address, development)).toBeDefined();
});

it('backs off exponentially with jitter, within the cap', () => {
  for (let attempt = 1; attempt <= 30; attempt += 1) {
    const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
    for (let i = 0; i < 50; i += 1) {
      const delay = backoffMs(attempt, 1000, 60_000);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  }
  const samples = new Set(Array.from({ length: 50 }, () => backoffMs(5, 1000, 60_000)));
  expect(samples.size).toBeGreaterThan(10);
});

it('round-trips feed cursors and refuses anything else', () => {
  const position = { xact: 123456789012n, id: 9223372036854775807n };
  expect(decodeEventCursor(encodeEventCursor(position))).toEqual(position);
  for (const bad of [
    '',
    '!!',
    Buffer.from('f1:1:2:3').toString('base64url'),
    Buffer.from('f1:01:2').toString('base64url'),
    Buffer.from('f1:9223372036854775808:1').toString('base64url'),
  ]) {
    expect(() => decodeEventCursor(bad)).toThrow(/cursor is malformed/);
  }
});

it("production refuses a retry window shorter than the contract's 24 hours; tests may shorten it", () => {
  const base = {
    NODE_ENV: 'production',
    JWT_SECRET: 'a-production-secret-of-enough-length-0123456789',
    METRICS_TOKEN: 'a-metrics-token-0123456789',
  };
  expect(() => loadConfig({ ...base, WEBHOOK_RETRY_WINDOW_MS: '3600000' })).toThrow(
    /WEBHOOK_RETRY_WINDOW_MS/,
  );
  expect(loadConfig(base).WEBHOOK_RETRY_WINDOW_MS).toBe(24 * 60 * 60 * 1000);
  expect(
    loadConfig({ NODE_ENV: 'test', WEBHOOK_RETRY_WINDOW_MS: '1500' }).WEBHOOK_RETRY_WINDOW_MS,
  ).toBe(1500);
  expect(
    loadConfig({ ...base, WEBHOOK_ALLOWED_HOSTS: ' CRM.internal , 10.0.0.12,' })
      .WEBHOOK_ALLOWED_HOSTS,
  ).toEqual(['crm.internal', '10.0.0.12']);
});
