import type { PrismaClient } from '../../../generated/prisma/client';
import { assertCanMoveMoney } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/auth/principal';
import { ErrorCode, badUserInput } from '../../shared/errors';
import { hashRequest, validateIdempotencyKey } from '../../shared/idempotency';
import { limits } from '../../shared/limits';
import { requirePositiveAmount } from '../../shared/money';
import { validateMetadata, validateOptionalText, validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { ledgerStore } from '../ledger/ledger.store';
import { AccountKind, EntryDirection, TransactionKind } from '../ledger/ledger.types';
import type { MoneyEngine } from '../../money/engine';
import { CreditOrigin } from '../../money/enums';
import { walletKey, type MoneyOperation, type WalletRef } from '../../money/types';
import {
  assertLotExpiryAhead,
  bookWallet,
  creditRefusal,
  draftPlain,
  limitExceeded,
  validateLotExpiry,
  type PlainKind,
  type WalletService,
} from '../wallet/wallet.service';
import type {
  ChangesetInput,
  ChangesetPayload,
  UserTransferInput,
  UserTransferPayload,
} from './transfer.types';

const legKinds: ReadonlySet<TransactionKind> = new Set([
  TransactionKind.TOPUP,
  TransactionKind.BONUS,
  TransactionKind.SPEND,
]);
const isCredit = (kind: PlainKind) => kind !== TransactionKind.SPEND;

/** Wallets in the order the contract answers them: by userId, then asset code. */
const byUserThenAsset = (a: WalletRef, b: WalletRef) =>
  a.userId < b.userId
    ? -1
    : a.userId > b.userId
      ? 1
      : a.assetCode < b.assetCode
        ? -1
        : a.assetCode > b.assetCode
          ? 1
          : 0;

/**
 * Multi-wallet operations, as rules on the money engine: player-to-player transfers (one TRANSFER
 * transaction, a DEBIT on the sender and a CREDIT on the recipient) and changesets (1..20 legs,
 * each a TOPUP, BONUS or SPEND transaction, all applied or none). The engine locks every wallet
 * involved in one statement in wallet-id order, so two of them never deadlock.
 */
export class TransferService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    private readonly wallet: WalletService,
    private readonly engine: MoneyEngine,
  ) {}

  /**
   * Errors: FORBIDDEN, BAD_USER_INPUT (same sender and recipient, bad amount, key, text),
   * NOT_FOUND (asset), INSUFFICIENT_FUNDS, IDEMPOTENCY_KEY_REUSED, SERVICE_UNAVAILABLE.
   */
  async transfer(principal: Principal, input: UserTransferInput): Promise<UserTransferPayload> {
    assertCanMoveMoney(principal);
    const fromUserId = validateUserId(input.fromUserId, 'fromUserId');
    const toUserId = validateUserId(input.toUserId, 'toUserId');
    if (fromUserId === toUserId)
      throw badUserInput('toUserId must differ from fromUserId.', 'toUserId');
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const amount = requirePositiveAmount(input.amount);
    const reference = validateOptionalText(input.reference, 'reference', limits.referenceLengthMax);
    const metadata = validateMetadata(input.metadata);
    const { asset } = await this.assets.require(input.asset);
    const from: WalletRef = { userId: fromUserId, assetCode: asset.code };
    const to: WalletRef = { userId: toUserId, assetCode: asset.code };
    const op: MoneyOperation<UserTransferPayload> = {
      name: 'transfer',
      requestHash: hashRequest('transfer', {
        fromUserId,
        toUserId,
        asset: asset.code,
        amount,
        reference,
        metadata,
      }),
      wallets: [from, to],
      creates: [to],
      decide: (draft) => {
        // A frozen wallet refuses both sides of a transfer.
        if (draft.frozen(from) || draft.frozen(to))
          return { kind: 'refuse', code: ErrorCode.WALLET_FROZEN };
        if (draft.available(from) < amount)
          return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
        const { dailyTransferOutMax } = draft.limits(asset.code);
        if (
          dailyTransferOutMax !== null &&
          draft.transferOutToday(from) + amount > dailyTransferOutMax
        ) {
          return limitExceeded(
            'dailyTransferOutMax',
            dailyTransferOutMax,
            draft.transferOutToday(from),
          );
        }
        const refused = creditRefusal(draft, TransactionKind.TRANSFER, to, amount);
        if (refused) return refused;
        // The sender's lots are drawn in the debit order; the recipient gets one FREE lot.
        draft.post({
          kind: TransactionKind.TRANSFER,
          userId: fromUserId,
          assetCode: asset.code,
          amount,
          reference,
          metadata,
          counterpartyUserId: toUserId,
          legs: [
            { account: AccountKind.USER, wallet: from, direction: EntryDirection.DEBIT, amount },
            {
              account: AccountKind.USER,
              wallet: to,
              direction: EntryDirection.CREDIT,
              amount,
              lots: { kind: 'new', origin: CreditOrigin.FREE, expiresAt: null },
            },
          ],
        });
        return { kind: 'accept' };
      },
      answer: ([transaction], _applied, book) => ({
        transaction: transaction!,
        from: bookWallet(book, from),
        to: bookWallet(book, to),
        replayed: false,
      }),
      replay: async ({ transactionId }) => {
        const { transaction } = await this.wallet.replayTransaction(transactionId);
        const [fromNow, toNow] = await Promise.all([
          this.wallet.current(transaction.userId, transaction.assetCode),
          this.wallet.current(transaction.counterpartyUserId!, transaction.assetCode),
        ]);
        return { transaction, from: fromNow, to: toNow, replayed: true };
      },
    };
    return this.engine.run(principal, idempotencyKey, op);
  }

  /**
   * Applies every leg or none. Errors: FORBIDDEN, BAD_USER_INPUT (0 or more than 20 legs, a kind
   * other than TOPUP/BONUS/SPEND, bad amounts, key, text), NOT_FOUND (asset), INSUFFICIENT_FUNDS
   * with extensions.leg (the first refused leg), IDEMPOTENCY_KEY_REUSED, SERVICE_UNAVAILABLE.
   */
  async applyChangeset(principal: Principal, input: ChangesetInput): Promise<ChangesetPayload> {
    assertCanMoveMoney(principal);
    if (input.legs.length < 1 || input.legs.length > limits.changesetLegsMax) {
      throw badUserInput(`A changeset has 1..${limits.changesetLegsMax} legs.`, 'legs');
    }
    const legs = input.legs.map((leg, index) => {
      const field = `legs[${index}]`;
      if (!legKinds.has(leg.kind))
        throw badUserInput(`${field}.kind must be TOPUP, BONUS or SPEND.`, `${field}.kind`);
      const expiresAt = validateLotExpiry(leg.expiresAt, `${field}.expiresAt`);
      if (expiresAt && leg.kind === TransactionKind.SPEND)
        throw badUserInput(`${field}.expiresAt is for credit legs only.`, `${field}.expiresAt`);
      return {
        userId: validateUserId(leg.userId, `${field}.userId`),
        asset: leg.asset,
        kind: leg.kind as PlainKind,
        amount: requirePositiveAmount(leg.amount, `${field}.amount`),
        expiresAt,
      };
    });
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const reference = validateOptionalText(input.reference, 'reference', limits.referenceLengthMax);
    const metadata = validateMetadata(input.metadata);
    const resolved = await Promise.all(
      legs.map(async (leg) => ({
        ...leg,
        wallet: {
          userId: leg.userId,
          assetCode: (await this.assets.require(leg.asset)).asset.code,
        } as WalletRef,
      })),
    );
    const touched = [
      ...new Map(resolved.map((leg) => [walletKey(leg.wallet), leg.wallet])).values(),
    ].sort(byUserThenAsset);
    const op: MoneyOperation<ChangesetPayload> = {
      name: 'applyChangeset',
      requestHash: hashRequest('applyChangeset', {
        legs: resolved.map((leg) => ({
          userId: leg.userId,
          asset: leg.wallet.assetCode,
          kind: leg.kind,
          amount: leg.amount,
          ...(leg.expiresAt ? { expiresAt: leg.expiresAt } : {}),
        })),
        reference,
        metadata,
      }),
      wallets: touched,
      creates: resolved.filter((leg) => isCredit(leg.kind)).map((leg) => leg.wallet),
      postingsMax: resolved.length,
      decide: (draft) => {
        for (const [index, leg] of resolved.entries())
          assertLotExpiryAhead(leg.expiresAt, draft.now, `legs[${index}].expiresAt`);
        for (const [index, leg] of resolved.entries()) {
          const refused = draftPlain(
            draft,
            leg.kind,
            leg.wallet,
            leg.amount,
            { reference, metadata, legIndex: index },
            leg.expiresAt,
          );
          if (refused && refused.kind === 'refuse')
            return { ...refused, detail: { ...refused.detail, leg: index } };
        }
        return { kind: 'accept' };
      },
      answer: (transactions, _applied, book) => ({
        changesetId: transactions[0]!.changesetId!,
        transactions,
        wallets: touched.map((ref) => bookWallet(book, ref)),
        replayed: false,
      }),
      replay: async ({ changesetId }) => {
        if (changesetId === null)
          throw new Error('invariant: a succeeded changeset key without its changeset');
        const transactions = await ledgerStore.findTransactionsByChangesetId(
          this.prisma,
          changesetId,
        );
        const wallets = await Promise.all(
          touched.map((ref) => this.wallet.current(ref.userId, ref.assetCode)),
        );
        return { changesetId: changesetId.toString(), transactions, wallets, replayed: true };
      },
    };
    return this.engine.run(principal, idempotencyKey, op);
  }
}
