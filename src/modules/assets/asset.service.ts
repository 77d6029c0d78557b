import type { PrismaClient } from '../../../generated/prisma/client';
import { badUserInput, notFound } from '../../shared/errors';
import { assertAdmin } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/auth/principal';
import { limits as gatewayLimits } from '../../shared/limits';
import { assetStore, type SystemAccountIds } from './asset.store';
import type { Asset, AssetLimits, CreateAssetInput, UpdateAssetInput } from './asset.types';
import { logger } from '../../shared/logger';

export interface KnownAsset {
  asset: Asset;
  accounts: SystemAccountIds;
}

/** Every field of AssetLimitsInput: the contract wants each one given (null clears it). */
const assetLimitFields = ['balanceMax', 'dailyBonusMax', 'dailyTransferOutMax'] as const;

const assetCodePattern = /^[A-Z][A-Z0-9_]*$/;

/**
 * Assets and their system accounts. Known assets are cached in memory: the money path asks for
 * them on every mutation, system account ids never change, and a miss always goes to the
 * database, so an asset created on another replica is found at once.
 */
export class AssetService {
  private readonly known = new Map<string, KnownAsset>();

  constructor(private readonly prisma: PrismaClient) {}

  list(): Promise<Asset[]> {
    return assetStore.listAll(this.prisma);
  }

  /** The asset and its system accounts, or NOT_FOUND. */
  async require(code: string): Promise<KnownAsset> {
    const cached = this.known.get(code);
    if (cached) return cached;
    if (code.length === 0 || code.length > gatewayLimits.assetCodeLengthMax)
      throw notFound(
        `Unknown asset ${JSON.stringify(code.slice(0, gatewayLimits.assetCodeLengthMax))}.`,
      );
    const [asset] = await assetStore.findByCodes(this.prisma, [code]);
    const accounts = asset ? await assetStore.systemAccountIds(this.prisma, code) : undefined;
    if (!asset || !accounts) throw notFound(`Unknown asset ${JSON.stringify(code)}.`);
    const entry = { asset, accounts };
    this.known.set(code, entry);
    return entry;
  }

  async create(principal: Principal, input: CreateAssetInput): Promise<Asset> {
    assertAdmin(principal);
    const asset = validateAsset(input.code, input.name, input.decimals);
    await assetStore.insert(this.prisma, asset);
    return (await this.require(asset.code)).asset;
  }

  async update(principal: Principal, input: UpdateAssetInput): Promise<Asset> {
    assertAdmin(principal);
    const current = await this.require(input.code);
    const next = validateAsset(
      input.code,
      input.name ?? current.asset.name,
      input.decimals ?? current.asset.decimals,
    );
    const updated = await assetStore.update(this.prisma, input.code, {
      name: next.name,
      decimals: next.decimals,
    });
    if (!updated) throw notFound(`Unknown asset ${JSON.stringify(input.code)}.`);
    this.known.set(input.code, { asset: updated, accounts: current.accounts });
    return updated;
  }

  /**
   * Sets an asset's limits (admins). Every field is given; null clears it. Decisions read limits
   * under the wallets' locks, from the database, so a change applies to the next decision on any
   * replica. Errors: FORBIDDEN, NOT_FOUND, BAD_USER_INPUT (a limit below 0).
   */
  async setLimits(principal: Principal, code: string, limits: AssetLimits): Promise<Asset> {
    assertAdmin(principal);
    // The fields by name, not Object.entries(limits): a field the request left out is absent from
    // the input object, not undefined in it, and was then written as null (cleared) unnoticed.
    for (const field of assetLimitFields) {
      const value = (limits as Partial<AssetLimits>)[field];
      if (value === undefined)
        throw badUserInput(`limits.${field} must be given (null clears it).`, `limits.${field}`);
      if (value !== null && value < 0n)
        throw badUserInput(`limits.${field} must be at least 0.`, `limits.${field}`);
    }
    const updated = await assetStore.setLimits(this.prisma, code, {
      balanceMax: limits.balanceMax,
      dailyBonusMax: limits.dailyBonusMax,
      dailyTransferOutMax: limits.dailyTransferOutMax,
    });
    if (!updated)
      throw notFound(
        `Unknown asset ${JSON.stringify(code.slice(0, gatewayLimits.assetCodeLengthMax))}.`,
      );
    logger.info(
      {
        asset: code,
        limits: Object.fromEntries(
          Object.entries(limits).map(([k, v]) => [k, v === null ? null : String(v)]),
        ),
        by: principal.subject,
      },
      'asset limits set',
    );
    const cached = this.known.get(code);
    if (cached) this.known.set(code, { ...cached, asset: updated });
    return updated;
  }

  /** Used by the demo seed and tests: creates the asset if missing, otherwise leaves it as it is. */
  async ensure(asset: Pick<Asset, 'code' | 'name' | 'decimals'>): Promise<KnownAsset> {
    await assetStore.insert(this.prisma, validateAsset(asset.code, asset.name, asset.decimals));
    return this.require(asset.code);
  }
}

function validateAsset(
  code: string,
  name: string,
  decimals: number,
): Pick<Asset, 'code' | 'name' | 'decimals'> {
  if (!assetCodePattern.test(code) || code.length > gatewayLimits.assetCodeLengthMax) {
    throw badUserInput(
      `Asset code must be 1..${gatewayLimits.assetCodeLengthMax} upper-case letters, digits or underscores, starting with a letter.`,
      'code',
    );
  }
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > gatewayLimits.assetNameLengthMax) {
    throw badUserInput(
      `Asset name must be 1..${gatewayLimits.assetNameLengthMax} characters.`,
      'name',
    );
  }
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > gatewayLimits.assetDecimalsMax) {
    throw badUserInput(
      `decimals must be an integer from 0 to ${gatewayLimits.assetDecimalsMax}.`,
      'decimals',
    );
  }
  return { code, name: trimmed, decimals };
}
