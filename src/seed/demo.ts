import type { Principal } from '../shared/auth/principal';
import type { Services } from '../app/services';
import { TransactionKind } from '../modules/ledger/ledger.types';

/** The demo data: three assets and two players whose every unit came through a real transaction. */
export const demoAssets = [
  { code: 'GOLD_COINS', name: 'Gold coins', decimals: 0 },
  { code: 'DIAMONDS', name: 'Diamonds', decimals: 0 },
  { code: 'LOYALTY_POINTS', name: 'Loyalty points', decimals: 0 },
] as const;

export const demoUsers = ['alice', 'bob'] as const;

const demoCredits = [
  { asset: 'GOLD_COINS', amount: 1000n, kind: TransactionKind.TOPUP },
  { asset: 'DIAMONDS', amount: 500n, kind: TransactionKind.TOPUP },
  { asset: 'LOYALTY_POINTS', amount: 5000n, kind: TransactionKind.BONUS },
] as const;

/** The seed is its own client, so its idempotency keys never collide with a game server's. */
const seedClient: Principal = { subject: 'seed', role: 'server' };

/**
 * Idempotent: assets are created if missing and each credit carries a fixed idempotency key, so a
 * second run replays instead of paying twice.
 */
export async function seedDemo(services: Services): Promise<{ replayed: number; applied: number }> {
  for (const asset of demoAssets) await services.assets.ensure({ ...asset });
  let applied = 0;
  let replayed = 0;
  for (const userId of demoUsers) {
    for (const credit of demoCredits) {
      const input = {
        userId,
        asset: credit.asset,
        amount: credit.amount,
        idempotencyKey: `demo-seed:${userId}:${credit.asset}`,
        reference: 'demo seed',
      };
      const result =
        credit.kind === TransactionKind.TOPUP
          ? await services.wallet.topup(seedClient, input)
          : await services.wallet.bonus(seedClient, input);
      if (result.replayed) replayed += 1;
      else applied += 1;
    }
  }
  return { applied, replayed };
}
