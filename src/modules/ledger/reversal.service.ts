import type { PrismaClient } from '../../../generated/prisma/client';
import { assertCanMoveMoney } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/context';
import { runTransaction, type TransactionOptions } from '../../shared/db/transaction';
import { ErrorCode, badUserInput, notFound } from '../../shared/errors';
import { hashRequest, priorFromRow, validateIdempotencyKey, type IdempotencyScope } from '../../shared/idempotency';
import { limits } from '../../shared/limits';
import { parseEntityId, validateOptionalText } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { lockedWallet, type Decision, type WalletService } from '../wallet/wallet.service';
import { walletStore } from '../wallet/wallet.store';
import type { TransferPayload } from '../wallet/wallet.types';
import { ledgerStore } from './ledger.store';
import { AccountKind, EntryDirection, TransactionKind } from './ledger.types';
import { reversalStore } from './reversal.store';
import type { ReverseInput } from './reversal.types';

type ReversibleKind = Exclude<TransactionKind, TransactionKind.REVERSAL>;

/**
 * How a reversal undoes each kind: the user's side goes the other way, against the same system
 * account the original used. Undoing a credit takes money back, so it needs the funds available;
 * undoing a debit gives money back and always can.
 */
const reversalRules: Record<ReversibleKind, { userDirection: EntryDirection; account: AccountKind.TREASURY | AccountKind.BONUS_POOL | AccountKind.REVENUE }> = {
  [TransactionKind.TOPUP]: { userDirection: EntryDirection.DEBIT, account: AccountKind.TREASURY },
  [TransactionKind.BONUS]: { userDirection: EntryDirection.DEBIT, account: AccountKind.BONUS_POOL },
  [TransactionKind.SPEND]: { userDirection: EntryDirection.CREDIT, account: AccountKind.REVENUE },
  [TransactionKind.CAPTURE]: { userDirection: EntryDirection.CREDIT, account: AccountKind.REVENUE },
};

const operation = 'reverse';

/**
 * Reversals: a REVERSAL transaction linked to the one it undoes, for the same user, asset and
 * amount, in the other direction. A transaction is reversed at most once; a reversal is never
 * reversed. Posted through the same locked path as every other movement.
 */
export class ReversalService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    private readonly wallet: WalletService,
    private readonly txOptions: TransactionOptions,
  ) {}

  async reverse(principal: Principal, input: ReverseInput): Promise<TransferPayload> {
    assertCanMoveMoney(principal);
    const originalId = parseEntityId(input.transactionId, 'transactionId');
    if (originalId === undefined) throw badUserInput('transactionId must be a transaction id (a positive decimal integer).', 'transactionId');
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const reason = validateOptionalText(input.reason, 'reason', limits.reasonLengthMax);
    const [original] = await ledgerStore.findTransactionsByIds(this.prisma, [originalId]);
    if (!original) throw notFound(`Unknown transaction ${originalId}.`);
    if (original.kind === TransactionKind.REVERSAL) throw badUserInput('A reversal cannot be reversed.', 'transactionId');
    const rule = reversalRules[original.kind];
    const { accounts } = await this.assets.require(original.assetCode);
    const scope: IdempotencyScope = {
      clientId: principal.subject,
      idempotencyKey,
      operation,
      requestHash: hashRequest(operation, { transactionId: originalId, reason }),
    };

    const decision = await runTransaction(this.prisma, this.txOptions, async (tx): Promise<Decision> => {
      const locked = await walletStore.lockWalletAndReadKey(tx, original.userId, original.assetCode, scope.clientId, idempotencyKey);
      const prior = priorFromRow(locked);
      if (prior) return { kind: 'prior', prior };
      const wallet = lockedWallet(locked);
      if ((await reversalStore.findReversalIdOf(tx, originalId)) !== undefined) {
        return this.wallet.refuse(tx, scope, ErrorCode.ALREADY_REVERSED);
      }
      if (rule.userDirection === EntryDirection.DEBIT && wallet.balance - wallet.held < original.amount) {
        return this.wallet.refuse(tx, scope, ErrorCode.INSUFFICIENT_FUNDS);
      }
      if (rule.userDirection === EntryDirection.CREDIT && wallet.balance + original.amount > limits.amountMax) {
        throw badUserInput('The reversal would take the balance beyond the largest amount a wallet can hold.', 'transactionId');
      }
      return this.wallet.post(tx, {
        kind: TransactionKind.REVERSAL, clientId: scope.clientId, idempotencyKey, operation, requestHash: scope.requestHash,
        walletId: wallet.id, userId: original.userId, assetCode: original.assetCode, balanceBefore: wallet.balance, sequenceBefore: wallet.last_sequence,
        userDirection: rule.userDirection, amount: original.amount, systemAccountId: accounts[rule.account], systemAccountKind: rule.account,
        reference: reason, metadata: null, reversesId: originalId, holdId: null,
      }, wallet);
    });
    return this.wallet.settle(scope, decision);
  }
}
