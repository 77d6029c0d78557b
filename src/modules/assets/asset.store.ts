import { Prisma } from '../../../generated/prisma/client';
import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { Asset, AssetLimits } from './asset.types';

type Queryable = PrismaClient | TxClient;

export interface SystemAccountIds {
  TREASURY: bigint;
  BONUS_POOL: bigint;
  REVENUE: bigint;
  /** Where expired credit goes (EXPIRY). */
  BREAKAGE: bigint;
}

const systemAccountKinds = ['TREASURY', 'BONUS_POOL', 'REVENUE', 'BREAKAGE'] as const;

const assetColumns = Prisma.sql`code, name, decimals,
  json_build_object('balanceMax', balance_max::text, 'dailyBonusMax', daily_bonus_max::text,
    'dailyTransferOutMax', daily_transfer_out_max::text) AS "limitsJson"`;

type AssetRow = Omit<Asset, 'limits'> & { limitsJson: Record<string, string | null> };

const toAsset = (row: AssetRow): Asset => ({
  code: row.code,
  name: row.name,
  decimals: row.decimals,
  limits: {
    balanceMax: row.limitsJson.balanceMax == null ? null : BigInt(row.limitsJson.balanceMax),
    dailyBonusMax:
      row.limitsJson.dailyBonusMax == null ? null : BigInt(row.limitsJson.dailyBonusMax),
    dailyTransferOutMax:
      row.limitsJson.dailyTransferOutMax == null
        ? null
        : BigInt(row.limitsJson.dailyTransferOutMax),
  },
});

/** All SQL about assets and their system accounts. */
export const assetStore = {
  async listAll(db: Queryable): Promise<Asset[]> {
    const rows = await db.$queryRaw<AssetRow[]>`/* listAssets */
      SELECT ${assetColumns} FROM assets ORDER BY code`;
    return rows.map(toAsset);
  },

  async findByCodes(db: Queryable, codes: readonly string[]): Promise<Asset[]> {
    const rows = await db.$queryRaw<AssetRow[]>`/* findAssetsByCodes */
      SELECT ${assetColumns} FROM assets WHERE code = ANY(${codes as string[]}::text[])`;
    return rows.map(toAsset);
  },

  /** Creates the asset if it is missing and, in the same statement, its system accounts. */
  async insert(db: Queryable, asset: Pick<Asset, 'code' | 'name' | 'decimals'>): Promise<boolean> {
    const rows = await db.$queryRaw<{ code: string }[]>`/* insertAsset */
      WITH inserted AS (
        INSERT INTO assets (code, name, decimals) VALUES (${asset.code}, ${asset.name}, ${asset.decimals}::int)
        ON CONFLICT (code) DO NOTHING
        RETURNING code
      ), accounts AS (
        INSERT INTO wallets (account_kind, user_id, asset_code)
        SELECT kind::account_kind, NULL, inserted.code
        FROM inserted, unnest(${[...systemAccountKinds]}::text[]) AS kind
      )
      SELECT code FROM inserted`;
    return rows.length === 1;
  },

  async update(
    db: Queryable,
    code: string,
    changes: { name?: string; decimals?: number },
  ): Promise<Asset | undefined> {
    const rows = await db.$queryRaw<AssetRow[]>`/* updateAsset */
      UPDATE assets SET
        name = COALESCE(${changes.name ?? null}::text, name),
        decimals = COALESCE(${changes.decimals ?? null}::int, decimals),
        updated_at = now()
      WHERE code = ${code}
      RETURNING ${assetColumns}`;
    return rows[0] && toAsset(rows[0]);
  },

  /** Sets all three limits at once (null clears one). */
  async setLimits(db: Queryable, code: string, limits: AssetLimits): Promise<Asset | undefined> {
    const rows = await db.$queryRaw<AssetRow[]>`/* setAssetLimits */
      UPDATE assets SET balance_max = ${limits.balanceMax}::bigint, daily_bonus_max = ${limits.dailyBonusMax}::bigint,
        daily_transfer_out_max = ${limits.dailyTransferOutMax}::bigint, updated_at = now()
      WHERE code = ${code}
      RETURNING ${assetColumns}`;
    return rows[0] && toAsset(rows[0]);
  },

  async systemAccountIds(db: Queryable, assetCode: string): Promise<SystemAccountIds | undefined> {
    const rows = await db.$queryRaw<
      { account_kind: keyof SystemAccountIds; id: bigint }[]
    >`/* systemAccountIds */
      SELECT account_kind::text AS account_kind, id FROM wallets
      WHERE asset_code = ${assetCode} AND account_kind <> 'USER'`;
    if (rows.length !== systemAccountKinds.length) return undefined;
    return Object.fromEntries(
      rows.map((row) => [row.account_kind, row.id]),
    ) as unknown as SystemAccountIds;
  },
};

export { Prisma };
