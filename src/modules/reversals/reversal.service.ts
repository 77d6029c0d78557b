import type { PrismaClient } from '../../../generated/prisma/client';
import type { MoneyEngine } from '../../money/engine';
import { validateMoneyRequest } from '../../money/request';
import { assertOwnsOrAdmin } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/auth/principal';
import { badUserInput, notFound } from '../../shared/errors';
import { limits } from '../../shared/limits';
import { parseEntityId } from '../../shared/validation';
import { ledgerStore } from '../ledger/ledger.store';
import { lotsStore } from '../lots/lots.store';
import type { WalletService } from '../wallet/wallet.service';
import type { MovementPayload } from '../wallet/wallet.types';
import { reversalPlanOf, reversalRule } from './reversal.rules';
import { reversalStore } from './reversal.store';
import type { ReverseInput } from './reversal.types';

/**
 * Reversals (reversal.rules.ts), run on the money engine. A transaction belongs to the client that
 * made it: only that client, or an admin, may reverse it.
 */
export class ReversalService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly wallet: WalletService,
    private readonly engine: MoneyEngine,
  ) {}

  /**
   * Errors: FORBIDDEN (not the transaction's client), BAD_USER_INPUT (a reversal, a transfer or an
   * expiry), NOT_FOUND, ALREADY_REVERSED, INSUFFICIENT_FUNDS, IDEMPOTENCY_KEY_REUSED,
   * SERVICE_UNAVAILABLE.
   */
  async reverse(principal: Principal, input: ReverseInput): Promise<MovementPayload> {
    const request = validateMoneyRequest(
      principal,
      input,
      () => ({ originalId: parseTransactionId(input.transactionId) }),
      { text: { value: input.reason, field: 'reason', lengthMax: limits.reasonLengthMax } },
    );
    const { originalId } = request;
    const [original] = await ledgerStore.findTransactionsByIds(this.prisma, [originalId]);
    if (!original) throw notFound(`Unknown transaction ${originalId}.`);
    assertOwnsOrAdmin(
      principal,
      original.clientId,
      'Only the client that made a transaction (or an admin) may reverse it.',
    );
    const allowPartial = input.allowPartial === true;
    const plan = reversalPlanOf(original.kind, allowPartial);
    const rule = reversalRule({
      original,
      originalId,
      plan,
      reason: request.reference,
      allowPartial,
    });
    return this.engine.run(principal, request.idempotencyKey, {
      ...rule,
      // Read after the wallet lock: every reversal of a transaction locks the same wallet, so a
      // reversal committed by a concurrent request is seen here, and the unique index on
      // reverses_id stays a guard that never fires. The lots the original moved come too.
      load: async (tx) => ({
        reversalId: await reversalStore.findReversalIdOf(tx, originalId),
        ...(await lotsStore.findLotMovements(tx, originalId)),
      }),
      replay: ({ transactionId }) => this.wallet.replayTransaction(transactionId),
    });
  }
}

function parseTransactionId(input: string): bigint {
  const id = parseEntityId(input, 'transactionId');
  if (id === undefined)
    throw badUserInput(
      'transactionId must be a transaction id (a positive decimal integer).',
      'transactionId',
    );
  return id;
}
