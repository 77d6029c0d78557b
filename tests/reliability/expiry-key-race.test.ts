// Proves that duplicates of an expiring credit never answer BAD_USER_INPUT for a key whose money moved: sent together before its expiresAt one applies and the rest replay, and sent after its expiresAt they all replay; a key that never applied is refused after it.
import { setTimeout as sleep } from 'node:timers/promises';
import { useTestGateway } from '../support/use-test-gateway';

const t = useTestGateway('expiry_key_race', { env: { HOLD_SWEEP_INTERVAL_MS: '0' } });
const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { replayed transaction { id } } }`;

/**
 * The margin between sending the first duplicates and the expiry, scaled to this machine's
 * current speed: the outcome no longer depends on timing, the test waits for the expiry itself
 * instead of racing it (the earlier version sent expiresAt 5-35 ms ahead and failed under load
 * when every credit expired before its decision). Ten times what five sequential requests took,
 * at least 3 s: 40 concurrent requests take far less, even on a machine loaded 10-fold.
 */
const MARGIN_PER_WARMUP = 10;
const MARGIN_MIN_MS = 3000;
const MARGIN_MAX_MS = 60_000;
const KEYS = 10;
const DUPLICATES = 4;

type Kind = 'applied' | 'replayed' | string;

async function send(input: Record<string, unknown>): Promise<Kind> {
  const answer = await t.gql<any>(TOPUP, { input });
  if (answer.errors) return String(answer.errors[0]!.extensions?.code);
  return answer.data.topup.replayed ? 'replayed' : 'applied';
}

it('no request of a key that applied answers BAD_USER_INPUT, before or after its expiry', async () => {
  const users = Array.from({ length: KEYS }, (_, i) => `race-${i}`);
  // Half the wallets already exist, so both the first-credit and the existing-wallet paths race.
  const warmupStartedMs = Date.now();
  for (const userId of users.filter((_, i) => i % 2 === 1))
    await send({ userId, asset: 'GOLD_COINS', amount: '1', idempotencyKey: `pre-${userId}` });
  const marginMs = Math.min(
    MARGIN_MAX_MS,
    Math.max(MARGIN_MIN_MS, (Date.now() - warmupStartedMs) * MARGIN_PER_WARMUP),
  );
  const expiresAtMs = Date.now() + marginMs;
  const expiresAt = new Date(expiresAtMs).toISOString();
  const inputs = users.map((userId, i) => ({
    userId,
    asset: 'GOLD_COINS',
    amount: '5',
    idempotencyKey: `k-${i}`,
    expiresAt,
  }));

  // Before the expiry: duplicates sent together; exactly one applies, the rest replay.
  const before = await Promise.all(
    inputs.map((input) => Promise.all(Array.from({ length: DUPLICATES }, () => send(input)))),
  );
  expect(Date.now()).toBeLessThan(expiresAtMs); // else the margin is too small for this machine
  for (const [i, kinds] of before.entries())
    expect({ i, kinds: [...kinds].sort() }).toEqual({
      i,
      kinds: ['applied', ...Array<Kind>(DUPLICATES - 1).fill('replayed')],
    });

  // After the expiry: the same requests replay the recorded outcome, all at once.
  await sleep(Math.max(0, expiresAtMs - Date.now()) + 50);
  const after = await Promise.all(
    inputs.map((input) => Promise.all(Array.from({ length: DUPLICATES }, () => send(input)))),
  );
  for (const [i, kinds] of after.entries())
    expect({ i, kinds: [...new Set(kinds)] }).toEqual({ i, kinds: ['replayed'] });

  // A key that never applied is decided now, with the expiry past: refused, every time.
  const fresh = await Promise.all(
    Array.from({ length: DUPLICATES }, () =>
      send({ ...inputs[0]!, idempotencyKey: 'never-applied' }),
    ),
  );
  expect([...new Set(fresh)]).toEqual(['BAD_USER_INPUT']);
}, 120_000);
