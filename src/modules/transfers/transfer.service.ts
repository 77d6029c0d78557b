import type { PrismaClient } from '../../../generated/prisma/client';
import type { MoneyEngine } from '../../money/engine';
import { kinds, kindsWhere } from '../../money/kinds';
import { validateMoneyRequest } from '../../money/request';
import { validateLotExpiry, type PlainKind } from '../../money/rules';
import type { Principal } from '../../shared/auth/principal';
import { badUserInput } from '../../shared/errors';
import { limits } from '../../shared/limits';
import { requirePositiveAmount } from '../../shared/money';
import { validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { ledgerStore } from '../ledger/ledger.store';
import type { WalletService } from '../wallet/wallet.service';
import { changesetRule, changesetWallets, transferRule, type ChangesetLeg } from './transfer.rules';
import type {
  ChangesetInput,
  ChangesetPayload,
  UserTransferInput,
  UserTransferPayload,
} from './transfer.types';

const legKinds = kindsWhere((row) => row.changesetLeg);

/**
 * Multi-wallet operations (transfer.rules.ts) run on the money engine: player-to-player transfers
 * and changesets. The engine locks every wallet involved in one statement in wallet-id order, so
 * two of them never deadlock.
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
   * NOT_FOUND (asset), INSUFFICIENT_FUNDS, WALLET_FROZEN, LIMIT_EXCEEDED, IDEMPOTENCY_KEY_REUSED,
   * SERVICE_UNAVAILABLE.
   */
  async transfer(principal: Principal, input: UserTransferInput): Promise<UserTransferPayload> {
    const request = validateMoneyRequest(principal, input, () => {
      const fromUserId = validateUserId(input.fromUserId, 'fromUserId');
      const toUserId = validateUserId(input.toUserId, 'toUserId');
      if (fromUserId === toUserId)
        throw badUserInput('toUserId must differ from fromUserId.', 'toUserId');
      return { fromUserId, toUserId, amount: requirePositiveAmount(input.amount) };
    });
    const { asset } = await this.assets.require(input.asset);
    const rule = transferRule({
      ...request,
      from: { userId: request.fromUserId, assetCode: asset.code },
      to: { userId: request.toUserId, assetCode: asset.code },
    });
    return this.engine.run(principal, request.idempotencyKey, {
      ...rule,
      replay: async ({ transactionId }) => {
        const { transaction } = await this.wallet.replayTransaction(transactionId);
        const [fromNow, toNow] = await Promise.all([
          this.wallet.current(transaction.userId, transaction.assetCode),
          this.wallet.current(transaction.counterpartyUserId!, transaction.assetCode),
        ]);
        return { transaction, from: fromNow, to: toNow, replayed: true };
      },
    });
  }

  /**
   * Applies every leg or none. Errors: FORBIDDEN, BAD_USER_INPUT (0 or more than 20 legs, a kind
   * other than TOPUP/BONUS/SPEND, bad amounts, key, text), NOT_FOUND (asset), INSUFFICIENT_FUNDS
   * with extensions.leg (the first refused leg), IDEMPOTENCY_KEY_REUSED, SERVICE_UNAVAILABLE.
   */
  async applyChangeset(principal: Principal, input: ChangesetInput): Promise<ChangesetPayload> {
    const request = validateMoneyRequest(principal, input, () => ({ legs: validateLegs(input) }));
    const legs = await Promise.all(
      request.legs.map(async (leg): Promise<ChangesetLeg> => ({
        kind: leg.kind,
        amount: leg.amount,
        expiresAt: leg.expiresAt,
        wallet: {
          userId: leg.userId,
          assetCode: (await this.assets.require(leg.asset)).asset.code,
        },
      })),
    );
    const rule = changesetRule({ ...request, legs });
    return this.engine.run(principal, request.idempotencyKey, {
      ...rule,
      replay: async ({ changesetId }) => {
        if (changesetId === null)
          throw new Error('invariant: a succeeded changeset key without its changeset');
        const transactions = await ledgerStore.findTransactionsByChangesetId(
          this.prisma,
          changesetId,
        );
        const wallets = await Promise.all(
          changesetWallets(legs).map((ref) => this.wallet.current(ref.userId, ref.assetCode)),
        );
        return { changesetId: changesetId.toString(), transactions, wallets, replayed: true };
      },
    });
  }
}

/** A changeset's legs, each checked in order (the first bad field is the error). */
function validateLegs(input: ChangesetInput) {
  if (input.legs.length < 1 || input.legs.length > limits.changesetLegsMax) {
    throw badUserInput(`A changeset has 1..${limits.changesetLegsMax} legs.`, 'legs');
  }
  return input.legs.map((leg, index) => {
    const field = `legs[${index}]`;
    if (!legKinds.includes(leg.kind))
      throw badUserInput(
        `${field}.kind must be ${legKinds.join(', ').replace(/, (?=[^,]*$)/, ' or ')}.`,
        `${field}.kind`,
      );
    const kind = leg.kind as PlainKind;
    const expiresAt = validateLotExpiry(leg.expiresAt, `${field}.expiresAt`);
    if (expiresAt && kinds[kind].lotOrigin === null)
      throw badUserInput(`${field}.expiresAt is for credit legs only.`, `${field}.expiresAt`);
    return {
      userId: validateUserId(leg.userId, `${field}.userId`),
      asset: leg.asset,
      kind,
      amount: requirePositiveAmount(leg.amount, `${field}.amount`),
      expiresAt,
    };
  });
}
