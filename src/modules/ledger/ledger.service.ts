import type { PrismaClient } from '../../../generated/prisma/client';
import { decodeOpaqueCursor, encodeOpaqueCursor, malformedCursor } from '../../shared/cursor';
import { badUserInput } from '../../shared/errors';
import { assertCanReadUser, canReadUser } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/auth/principal';
import { limits } from '../../shared/limits';
import { parseEntityId, validateOptionalText, validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { ledgerStore } from './ledger.store';
import {
  AccountKind,
  type LedgerConnection,
  type LedgerEntry,
  type Transaction,
  type TransactionKind,
} from './ledger.types';

export interface LedgerQuery {
  userId: string;
  asset?: string | null;
  kinds?: TransactionKind[] | null;
  since?: Date | null;
  until?: Date | null;
  reference?: string | null;
  first?: number | null;
  after?: string | null;
}

const cursorPrefix = 'e:';

/** Cursors are opaque to clients: the entry id behind a version prefix, base64url-encoded. */
export function encodeCursor(entryId: string): string {
  return encodeOpaqueCursor(cursorPrefix, entryId);
}

export function decodeCursor(cursor: string): bigint {
  const id = parseEntityId(decodeOpaqueCursor(cursorPrefix, cursor), 'after');
  if (id === undefined) throw malformedCursor();
  return id;
}

/** A player reads a transaction when it is its user or (a transfer) its counterparty. */
export function canReadTransaction(
  principal: Principal,
  transaction: Pick<Transaction, 'userId' | 'counterpartyUserId'>,
): boolean {
  return (
    canReadUser(principal, transaction.userId) ||
    (transaction.counterpartyUserId !== null &&
      canReadUser(principal, transaction.counterpartyUserId))
  );
}

/**
 * The postings of a transaction as the caller may see them: a player sees its own entries and the
 * system accounts', never another player's (a transfer's other side carries that player's
 * balance and sequence).
 */
export function visibleEntries(principal: Principal, entries: LedgerEntry[]): LedgerEntry[] {
  if (principal.role !== 'player') return entries;
  return entries.filter(
    (entry) => entry.account !== AccountKind.USER || entry.userId === principal.subject,
  );
}

/** History reads: the ledger page and single transactions. */
export class LedgerService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
  ) {}

  async ledger(principal: Principal, query: LedgerQuery): Promise<LedgerConnection> {
    assertCanReadUser(principal, query.userId);
    const userId = validateUserId(query.userId);
    const first = query.first ?? limits.ledgerPageSizeDefault;
    if (!Number.isInteger(first) || first < 1)
      throw badUserInput('first must be at least 1.', 'first');
    const pageSize = Math.min(first, limits.ledgerPageSizeMax);
    const assetCode =
      query.asset == null ? undefined : (await this.assets.require(query.asset)).asset.code;
    if (query.since && query.until && query.since > query.until)
      throw badUserInput('since must not be after until.', 'since');
    const reference =
      validateOptionalText(query.reference, 'reference', limits.referenceLengthMax) ?? undefined;
    const rows = await ledgerStore.findEntriesPage(this.prisma, {
      userId,
      assetCode,
      kinds: query.kinds ?? undefined,
      since: query.since ?? undefined,
      until: query.until ?? undefined,
      reference,
      beforeEntryId: query.after == null ? undefined : decodeCursor(query.after),
      limit: pageSize + 1,
    });
    const page = rows.slice(0, pageSize);
    const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > pageSize, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  /**
   * Null for an id that names no transaction; BAD_USER_INPUT for one that cannot be an id. A
   * player asking for another user's transaction also gets null, not FORBIDDEN: ids are
   * sequential, and FORBIDDEN would tell a player which ids exist and how busy the platform is.
   */
  async transaction(principal: Principal, id: string): Promise<Transaction | null> {
    const transactionId = parseEntityId(id, 'id');
    if (transactionId === undefined)
      throw badUserInput('id must be a transaction id (a positive decimal integer).', 'id');
    const [transaction] = await ledgerStore.findTransactionsByIds(this.prisma, [transactionId]);
    if (!transaction || !canReadTransaction(principal, transaction)) return null;
    return transaction;
  }
}
