// Proves that concurrent duplicates of an expiring credit sent just before its expiresAt never answer BAD_USER_INPUT for a key whose money moved: once one request applied it, the others replay.
import { useTestGateway } from '../support/use-test-gateway';

const t = useTestGateway('expiry_key_race', { env: { HOLD_SWEEP_INTERVAL_MS: '0' } });
const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { replayed transaction { id } } }`;

it('no request of a key that applied answers BAD_USER_INPUT', async () => {
  let applied = 0;
  for (let i = 0; i < 40; i += 1) {
    const userId = `race-${i}`;
    if (i % 2 === 1)
      await t.gql(TOPUP, {
        input: { userId, asset: 'GOLD_COINS', amount: '1', idempotencyKey: `pre-${i}` },
      });
    const input = {
      userId,
      asset: 'GOLD_COINS',
      amount: '5',
      idempotencyKey: `k-${i}`,
      expiresAt: new Date(Date.now() + 5 + (i % 7) * 5).toISOString(),
    };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => t.gql<any>(TOPUP, { input })),
    );
    const kinds = answers.map((a) =>
      a.errors
        ? String(a.errors[0]!.extensions?.code)
        : a.data.topup.replayed
          ? 'replayed'
          : 'applied',
    );
    if (kinds.includes('applied')) {
      applied += 1;
      expect({ i, kinds: kinds.filter((k) => k !== 'applied' && k !== 'replayed') }).toEqual({
        i,
        kinds: [],
      });
    } else {
      // None applied: the expiry passed before any decision, and every request says so.
      expect({ i, kinds: [...new Set(kinds)] }).toEqual({ i, kinds: ['BAD_USER_INPUT'] });
    }
  }
  // The race is real only if some credits were applied just before their expiry.
  expect(applied).toBeGreaterThan(0);
}, 120_000);
