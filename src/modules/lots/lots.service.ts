import type { PrismaClient } from '../../../generated/prisma/client';
import type { Principal } from '../../shared/auth/principal';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import type { MoneyEngine } from '../../money/engine';
import { expiryKey, expiryRule, type DueWallet } from './expiry.rules';
import { lotsStore } from './lots.store';

/** The sweep acts as a client of its own, never a token's (its issuer is not a configured one). */
const sweeper: Principal = {
  subject: 'system:expiry-sweep',
  role: 'admin',
  issuer: 'wallet-gateway',
};

/**
 * Expiry of credit lots. Reads stop counting a lot's unreserved remainder at its expiresAt; the
 * sweep then takes it out of the ledger: one EXPIRY transaction per lot, user -> breakage, through
 * the money engine like every other movement (so it locks the wallet, keeps sequences and lots
 * exact, and notifies subscribers). It never takes what an ACTIVE hold still reserves.
 */
export class LotsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly engine: MoneyEngine,
  ) {}

  /**
   * One pass: every wallet whose soonest lot expiry has passed, a bounded number per pass. Safe on
   * several replicas at once: candidates are picked with SKIP LOCKED, and each wallet's decision is
   * taken under its row lock, under a key made of the wallet and its sequence, so two sweeps of the
   * same state post once. Returns how many EXPIRY transactions it posted.
   */
  async sweepExpiredLots(): Promise<number> {
    const due = await lotsStore.findWalletsWithExpiredLots(
      this.prisma,
      limits.expirySweepWalletsPerPass,
    );
    let posted = 0;
    for (const wallet of due) {
      try {
        // One EXPIRY (one lot) per decision, each under a key of its own: a key records one
        // transaction. The pass goes on while there is something to expire, within the bound.
        for (let step = 0; step < limits.expiryPostingsPerWalletMax; step += 1) {
          const expired = await this.expire(wallet, step);
          posted += expired;
          if (expired === 0) break;
        }
      } catch (err) {
        logger.warn(
          { err, walletId: wallet.id.toString() },
          'lot expiry of a wallet failed; retrying at the next pass',
        );
      }
    }
    if (posted > 0) logger.debug({ posted }, 'expired lots swept');
    return posted;
  }

  private expire(due: DueWallet, step: number): Promise<number> {
    return this.engine.run(sweeper, expiryKey(due, step), {
      ...expiryRule(due, step),
      replay: async () => 0,
    });
  }
}
