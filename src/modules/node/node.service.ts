import type DataLoader from 'dataloader';
import type { PrismaClient } from '../../../generated/prisma/client';
import { canReadUser } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/auth/principal';
import { validateUserId } from '../../shared/validation';
import type { Asset } from '../assets/asset.types';
import { eventStore } from '../events/events.store';
import { canReadHold } from '../holds/holds.service';
import type { Hold } from '../holds/holds.types';
import { canReadTransaction } from '../ledger/ledger.service';
import type { Transaction } from '../ledger/ledger.types';
import { fromStored, isExpired } from '../../money/lots';
import { emptyWallet, toWallet, type WalletService } from '../wallet/wallet.service';
import { walletStore } from '../wallet/wallet.store';
import type { CreditLot, Wallet } from '../wallet/wallet.types';
import { decodeNodeId, type NodeKey } from '../../shared/node-id';
import { nodeStore } from './node.store';
import { nodeTypeName, type TaggedNode } from '../node.types';

/** The request's DataLoaders that Query.node shares with the rest of the operation. */
export interface NodeLoaders {
  transactionById: DataLoader<string, Transaction | null>;
  holdById: DataLoader<string, Hold | null>;
  assetByCode: DataLoader<string, Asset | null>;
}

type WalletKey = Extract<NodeKey, { type: 'Wallet' }>;

const tag = (type: string, value: object): TaggedNode => ({ ...value, [nodeTypeName]: type });

/** loadMany's answer, with a failed load thrown rather than answered as a value. */
async function loadAll<V>(loader: DataLoader<string, V>, keys: string[]): Promise<V[]> {
  const values = await loader.loadMany(keys);
  return values.map((value) => {
    if (value instanceof Error) throw value;
    return value;
  });
}

/**
 * Query.node and Query.nodes: any object by its id, under the rules of its type's own query (a
 * player sees only its own objects; events are for servers and admins, webhooks for admins).
 * Null for an id that names nothing, and for one the caller may not see: a refusal would tell
 * which ids exist. Every kind of object is read with one statement per call, however many ids.
 */
export class NodeService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly wallets: WalletService,
  ) {}

  async nodes(
    principal: Principal,
    loaders: NodeLoaders,
    ids: readonly string[],
  ): Promise<(TaggedNode | null)[]> {
    const keys = ids.map((id) => decodeNodeId(id));
    const of = <T extends NodeKey['type']>(type: T) =>
      keys.filter((key): key is Extract<NodeKey, { type: T }> => key?.type === type);
    const [legacy, wallets, assets, lots] = await Promise.all([
      this.legacy(
        principal,
        loaders,
        of('legacy').map((key) => key.id),
      ),
      this.walletsOf(principal, loaders, of('Wallet')),
      loadAll(
        loaders.assetByCode,
        of('Asset').map((key) => key.code),
      ),
      this.lots(
        principal,
        of('CreditLot').map((key) => key.lotId),
      ),
    ]);
    const assetsByCode = new Map(assets.flatMap((asset) => (asset ? [[asset.code, asset]] : [])));
    return keys.map((key) => {
      if (!key) return null;
      switch (key.type) {
        case 'legacy':
          return legacy.get(key.id) ?? null;
        case 'Wallet':
          return wallets.get(key) ?? null;
        case 'Asset': {
          const asset = assetsByCode.get(key.code);
          return asset ? tag('Asset', asset) : null;
        }
        case 'CreditLot':
          return lots.get(key.lotId) ?? null;
      }
    });
  }

  /**
   * The numeric ids of v1 and v2 (Transaction, Hold, LedgerEntry, Event, Webhook). Since the
   * node_ids migration each new number names one object; a number handed out before it may name
   * objects of several types, and answers the first the caller may see in this order.
   */
  private async legacy(
    principal: Principal,
    loaders: NodeLoaders,
    ids: bigint[],
  ): Promise<Map<bigint, TaggedNode>> {
    const found = new Map<bigint, TaggedNode>();
    if (ids.length === 0) return found;
    const texts = ids.map(String);
    const [transactions, holds, entries, events, webhooks] = await Promise.all([
      loadAll(loaders.transactionById, texts),
      loadAll(loaders.holdById, texts),
      nodeStore.findEntriesByIds(this.prisma, ids),
      principal.role === 'player' ? [] : eventStore.findByIds(this.prisma, ids),
      principal.role === 'admin' ? nodeStore.findWebhooksByIds(this.prisma, ids) : [],
    ]);
    const offer = (type: string, value: { id: string }, visible: boolean) => {
      const id = BigInt(value.id);
      if (visible && !found.has(id)) found.set(id, tag(type, value));
    };
    for (const t of transactions) if (t) offer('Transaction', t, canReadTransaction(principal, t));
    for (const h of holds) if (h) offer('Hold', h, canReadHold(principal, h));
    for (const e of entries) offer('LedgerEntry', e, canReadUser(principal, e.userId));
    for (const e of events) offer('Event', e, true);
    for (const w of webhooks) offer('Webhook', w, true);
    return found;
  }

  /** Live wallets with one statement per user; a reading as of an instant as balance reads it. */
  private async walletsOf(
    principal: Principal,
    loaders: NodeLoaders,
    keys: WalletKey[],
  ): Promise<Map<WalletKey, TaggedNode>> {
    const readable = keys.filter(
      (key) => isUserId(key.userId) && canReadUser(principal, key.userId),
    );
    const assets = await loadAll(
      loaders.assetByCode,
      readable.map((key) => key.assetCode),
    );
    const known = readable.filter((_key, index) => assets[index] !== null);
    const users = [...new Set(known.filter((key) => !key.at).map((key) => key.userId))];
    const rows = new Map(
      await Promise.all(
        users.map(async (userId) => {
          const ofUser = await walletStore.findWalletsOfUser(this.prisma, userId);
          return [userId, new Map(ofUser.map((row) => [row.asset_code, row]))] as const;
        }),
      ),
    );
    const now = new Date();
    const answers = await Promise.all(
      known.map(async (key): Promise<Wallet> => {
        if (key.at) {
          const reading = await this.wallets.balance(principal, key.userId, key.assetCode, key.at);
          return { ...reading, readingAt: key.at };
        }
        const row = rows.get(key.userId)?.get(key.assetCode);
        return row ? toWallet(row) : emptyWallet(key.userId, key.assetCode, now);
      }),
    );
    return new Map(known.map((key, index) => [key, tag('Wallet', answers[index]!)]));
  }

  /** Lots that are still live (not expired, something left), on a wallet the caller may read. */
  private async lots(principal: Principal, ids: bigint[]): Promise<Map<bigint, TaggedNode>> {
    const found = new Map<bigint, TaggedNode>();
    if (ids.length === 0) return found;
    const owners = (await nodeStore.findLotWallets(this.prisma, ids)).filter((owner) =>
      canReadUser(principal, owner.user_id),
    );
    if (owners.length === 0) return found;
    const refs = owners.map((owner) => ({ userId: owner.user_id, assetCode: owner.asset_code }));
    const wanted = new Set(owners.map((owner) => owner.lot_id));
    for (const wallet of await walletStore.findLotsOf(this.prisma, refs)) {
      for (const lot of wallet.lots.map(fromStored)) {
        if (!wanted.has(lot.id.toString()) || isExpired(lot, wallet.now) || lot.remaining <= 0n)
          continue;
        const node: CreditLot = {
          lotId: lot.id,
          origin: lot.origin as CreditLot['origin'],
          amount: lot.remaining,
          expiresAt: lot.expiresAt,
          createdAt: lot.createdAt,
        };
        found.set(lot.id, tag('CreditLot', node));
      }
    }
    return found;
  }
}

function isUserId(userId: string): boolean {
  try {
    validateUserId(userId);
    return true;
  } catch {
    return false;
  }
}
