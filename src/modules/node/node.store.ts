import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import { entryColumns } from '../ledger/ledger.store';
import type { LedgerEntry } from '../ledger/ledger.types';
import { webhookColumns } from '../webhooks/webhooks.store';
import type { Webhook } from '../webhooks/webhooks.types';

type Queryable = PrismaClient | TxClient;

/** The lookups by id that Query.node needs and no type's own query has. */
export const nodeStore = {
  async findEntriesByIds(db: Queryable, ids: readonly bigint[]): Promise<LedgerEntry[]> {
    return db.$queryRaw<LedgerEntry[]>`/* findEntriesByIds */
      SELECT ${entryColumns} FROM ledger_entries e WHERE e.id = ANY(${ids as bigint[]}::bigint[])`;
  },

  async findWebhooksByIds(db: Queryable, ids: readonly bigint[]): Promise<Webhook[]> {
    return db.$queryRawUnsafe<Webhook[]>(
      `/* findWebhooksByIds */ SELECT ${webhookColumns} FROM webhooks w WHERE w.id = ANY($1::bigint[])`,
      ids as bigint[],
    );
  },

  /** The user wallet each credit lot belongs to (lots of system accounts are not nodes). */
  async findLotWallets(
    db: Queryable,
    ids: readonly bigint[],
  ): Promise<{ lot_id: string; user_id: string; asset_code: string }[]> {
    return db.$queryRaw`/* findLotWallets */
      SELECT l.id::text AS lot_id, w.user_id, w.asset_code
      FROM credit_lots l JOIN wallets w ON w.id = l.wallet_id
      WHERE l.id = ANY(${ids as bigint[]}::bigint[]) AND w.user_id IS NOT NULL`;
  },
};
