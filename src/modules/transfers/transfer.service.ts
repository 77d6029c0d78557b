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
import type { MoneyEngine } from '../money/money.engine';
import { walletKey, type MoneyOperation, type WalletRef } from '../money/money.types';
import { bookWallet, draftPlain, type PlainKind, type WalletService } from '../wallet/wallet.service';
import type { ChangesetInput, ChangesetPayload, UserTransferInput, UserTransferPayload } from './transfer.types';

const legKinds: ReadonlySet<TransactionKind> = new Set([TransactionKind.TOPUP, TransactionKind.BONUS, TransactionKind.SPEND]);
const isCredit = (kind: PlainKind) => kind !== TransactionKind.SPEND;

/** Wallets in the order the contract answers them: by userId, then asset code. */
const byUserThenAsset = (a: WalletRef, b: WalletRef) =>
  a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : a.assetCode < b.assetCode ? -1 : a.assetCode > b.assetCode ? 1 : 0;

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
    if (fromUserId === toUserId) throw badUserInput('toUserId must differ from fromUserId.', 'toUserId');
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const amount = requirePositiveAmount(input.amount);
    const reference = validateOptionalText(input.reference, 'reference', limits.referenceLengthMax);
    const metadata = validateMetadata(input.metadata);
    const { asset } = await this.assets.require(input.asset);
    const from: WalletRef = { userId: fromUserId, assetCode: asset.code };
    const to: WalletRef = { userId: toUserId, assetCode: asset.code };
    const op: MoneyOperation<UserTransferPayload> = {
      name: 'transfer',
      requestHash: hashRequest('transfer', { fromUserId, toUserId, asset: asset.code, amount, reference, metadata }),
      wallets: [from, to],
      creates: [to],
      decide: (draft) => {
        if (draft.available(from) < amount) return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
        if (draft.find(to)!.balance + amount > limits.amountMax) {
          throw badUserInput('The transfer would take the recipient beyond the largest amount a wallet can hold.', 'amount');
        }
        draft.post({
          kind: TransactionKind.TRANSFER, userId: fromUserId, assetCode: asset.code, amount, reference, metadata, counterpartyUserId: toUserId,
          legs: [
            { account: AccountKind.USER, wallet: from, direction: EntryDirection.DEBIT, amount },
            { account: AccountKind.USER, wallet: to, direction: EntryDirection.CREDIT, amount },
          ],
        });
        return { kind: 'accept' };
      },
      answer: ([transaction], _applied, book) => ({
        transaction: transaction!, from: bookWallet(book.find(from)!), to: bookWallet(book.find(to)!), replayed: false,
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
      if (!legKinds.has(leg.kind)) throw badUserInput(`${field}.kind must be TOPUP, BONUS or SPEND.`, `${field}.kind`);
      return { userId: validateUserId(leg.userId, `${field}.userId`), asset: leg.asset, kind: leg.kind as PlainKind, amount: requirePositiveAmount(leg.amount, `${field}.amount`) };
    });
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const reference = validateOptionalText(input.reference, 'reference', limits.referenceLengthMax);
    const metadata = validateMetadata(input.metadata);
    const resolved = await Promise.all(
      legs.map(async (leg) => ({ ...leg, wallet: { userId: leg.userId, assetCode: (await this.assets.require(leg.asset)).asset.code } as WalletRef })),
    );
    const touched = [...new Map(resolved.map((leg) => [walletKey(leg.wallet), leg.wallet])).values()].sort(byUserThenAsset);
    const op: MoneyOperation<ChangesetPayload> = {
      name: 'applyChangeset',
      requestHash: hashRequest('applyChangeset', {
        legs: resolved.map((leg) => ({ userId: leg.userId, asset: leg.wallet.assetCode, kind: leg.kind, amount: leg.amount })), reference, metadata,
      }),
      wallets: touched,
      creates: resolved.filter((leg) => isCredit(leg.kind)).map((leg) => leg.wallet),
      decide: (draft) => {
        for (const [index, leg] of resolved.entries()) {
          const refused = draftPlain(draft, leg.kind, leg.wallet, leg.amount, { reference, metadata, legIndex: index });
          if (refused && refused.kind === 'refuse') return { ...refused, detail: { ...refused.detail, leg: index } };
        }
        return { kind: 'accept' };
      },
      answer: (transactions, _applied, book) => ({
        changesetId: transactions[0]!.changesetId!, transactions, wallets: touched.map((ref) => bookWallet(book.find(ref)!)), replayed: false,
      }),
      replay: async ({ changesetId }) => {
        if (changesetId === null) throw new Error('invariant: a succeeded changeset key without its changeset');
        const transactions = await ledgerStore.findTransactionsByChangesetId(this.prisma, changesetId);
        const wallets = await Promise.all(touched.map((ref) => this.wallet.current(ref.userId, ref.assetCode)));
        return { changesetId: changesetId.toString(), transactions, wallets, replayed: true };
      },
    };
    return this.engine.run(principal, idempotencyKey, op);
  }
}
