import { AccountKind, EntryDirection, TransactionKind } from '../../money/enums';
import { isExpired } from '../../money/lots';
import { userSystemPosting } from '../../money/rules';
import type { Rule, WalletRef } from '../../money/types';

/** A wallet the sweep found with an expired lot, as it found it. */
export interface DueWallet {
  id: bigint;
  userId: string;
  assetCode: string;
  lastSequence: bigint;
}

/** The key of one step of a wallet's expiry: two sweeps of the same state decide each step once. */
export const expiryKey = (due: DueWallet, step: number): string =>
  `expiry:${due.id}:${due.lastSequence}:${step}`;

/**
 * The expiry of one lot: an EXPIRY of its expired, unreserved remainder, user -> breakage (one lot
 * per decision: a key records one transaction). Skipped when there is nothing to expire (another
 * replica's sweep took it): nothing is written, the key stays unused. Answers how many it posted.
 */
export function expiryRule(due: DueWallet, step: number): Rule<number> {
  const wallet: WalletRef = { userId: due.userId, assetCode: due.assetCode };
  return {
    name: 'expireLots',
    requestHash: `${due.id}:${due.lastSequence}:${step}`,
    wallets: [wallet],
    creates: [],
    decide: (draft) => {
      const locked = draft.find(wallet);
      if (!locked) return { kind: 'skip' };
      for (const lot of locked.lots) {
        if (!isExpired(lot, draft.now)) continue;
        const amount = lot.remaining - (locked.reserved.get(lot.id) ?? 0n);
        if (amount <= 0n) continue;
        draft.post(
          userSystemPosting(
            TransactionKind.EXPIRY,
            wallet,
            EntryDirection.DEBIT,
            AccountKind.BREAKAGE,
            amount,
            { reference: `lot:${lot.id}`, metadata: null },
            { kind: 'lot', lotId: lot.id },
          ),
        );
        return { kind: 'accept' };
      }
      return { kind: 'skip' };
    },
    answer: (posted) => posted.length,
  };
}
