import { Prisma } from '../../../generated/prisma/client';
import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { Asset } from './asset.types';

type Queryable = PrismaClient | TxClient;

export interface SystemAccountIds {
  TREASURY: bigint;
  BONUS_POOL: bigint;
  REVENUE: bigint;
}

/** All SQL about assets and their system accounts. */
export const assetStore = {
  async listAll(db: Queryable): Promise<Asset[]> {
    return db.$queryRaw<Asset[]>`/* listAssets */
      SELECT code, name, decimals FROM assets ORDER BY code`;
  },

  async findByCodes(db: Queryable, codes: readonly string[]): Promise<Asset[]> {
    return db.$queryRaw<Asset[]>`/* findAssetsByCodes */
      SELECT code, name, decimals FROM assets WHERE code = ANY(${codes as string[]}::text[])`;
  },

  /** Creates the asset if it is missing and, in the same statement, its three system accounts. */
  async insert(db: Queryable, asset: Asset): Promise<boolean> {
    const rows = await db.$queryRaw<{ code: string }[]>`/* insertAsset */
      WITH inserted AS (
        INSERT INTO assets (code, name, decimals) VALUES (${asset.code}, ${asset.name}, ${asset.decimals}::int)
        ON CONFLICT (code) DO NOTHING
        RETURNING code
      ), accounts AS (
        INSERT INTO wallets (account_kind, user_id, asset_code)
        SELECT kind::account_kind, NULL, inserted.code
        FROM inserted, unnest(ARRAY['TREASURY', 'BONUS_POOL', 'REVENUE']) AS kind
      )
      SELECT code FROM inserted`;
    return rows.length === 1;
  },

  async update(db: Queryable, code: string, changes: { name?: string; decimals?: number }): Promise<Asset | undefined> {
    const rows = await db.$queryRaw<Asset[]>`/* updateAsset */
      UPDATE assets SET
        name = COALESCE(${changes.name ?? null}::text, name),
        decimals = COALESCE(${changes.decimals ?? null}::int, decimals),
        updated_at = now()
      WHERE code = ${code}
      RETURNING code, name, decimals`;
    return rows[0];
  },

  async systemAccountIds(db: Queryable, assetCode: string): Promise<SystemAccountIds | undefined> {
    const rows = await db.$queryRaw<{ account_kind: keyof SystemAccountIds; id: bigint }[]>`/* systemAccountIds */
      SELECT account_kind::text AS account_kind, id FROM wallets
      WHERE asset_code = ${assetCode} AND account_kind <> 'USER'`;
    if (rows.length !== 3) return undefined;
    return Object.fromEntries(rows.map((row) => [row.account_kind, row.id])) as unknown as SystemAccountIds;
  },
};

export { Prisma };
