import { parseEntityId } from './validation';

/**
 * Node ids (docs/api.md, "Client identity"). The ids v1 and v2 defined (Transaction, Hold,
 * LedgerEntry, Event, Webhook) keep their values: decimal numbers, each table counting on its
 * own. The ids v3 adds (Asset, Wallet, a Wallet read with at, CreditLot) are typed: base64url of
 * a JSON array whose first element names the type. They never read as a decimal number (they
 * start with "Wy"), so no new id collides with an old one. Clients must treat every id as
 * opaque: the encoding may change, the value of an id handed out never does.
 */
export type NodeKey =
  | { type: 'Asset'; code: string }
  | { type: 'Wallet'; userId: string; assetCode: string; at?: Date }
  | { type: 'CreditLot'; lotId: bigint }
  /** A v1/v2 id: Transaction, Hold, LedgerEntry, Event or Webhook (see NodeService). */
  | { type: 'legacy'; id: bigint };

const encode = (parts: readonly string[]) =>
  Buffer.from(JSON.stringify(parts)).toString('base64url');

export const assetNodeId = (code: string) => encode(['Asset', code]);

/** The same for every answer about the wallet; a reading as of `at` has its own. */
export const walletNodeId = (userId: string, assetCode: string, at?: Date | null) =>
  encode(at ? ['Wallet', userId, assetCode, at.toISOString()] : ['Wallet', userId, assetCode]);

export const creditLotNodeId = (lotId: bigint) => encode(['CreditLot', lotId.toString()]);

function decodeTyped(id: string): NodeKey | undefined {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts) || !parts.every((part) => typeof part === 'string')) return undefined;
  const [type, ...rest] = parts as string[];
  if (type === 'Asset' && rest.length === 1) return { type, code: rest[0]! };
  if (type === 'Wallet' && (rest.length === 2 || rest.length === 3)) {
    const at = rest[2] === undefined ? undefined : new Date(rest[2]);
    if (at && Number.isNaN(at.getTime())) return undefined;
    return { type, userId: rest[0]!, assetCode: rest[1]!, ...(at ? { at } : {}) };
  }
  if (type === 'CreditLot' && rest.length === 1) {
    const lotId = parseEntityId(rest[0]!, 'id');
    return lotId === undefined ? undefined : { type, lotId };
  }
  return undefined;
}

/** What an id names, or undefined for a string no node of this gateway has as its id. */
export function decodeNodeId(id: string): NodeKey | undefined {
  const legacy = parseEntityId(id, 'id');
  if (legacy !== undefined) return { type: 'legacy', id: legacy };
  // Only the canonical encoding counts: one object, one id.
  const key = /^[A-Za-z0-9_-]+$/.test(id) ? decodeTyped(id) : undefined;
  if (!key) return undefined;
  const again =
    key.type === 'Asset'
      ? assetNodeId(key.code)
      : key.type === 'Wallet'
        ? walletNodeId(key.userId, key.assetCode, key.at)
        : key.type === 'CreditLot'
          ? creditLotNodeId(key.lotId)
          : undefined;
  return again === id ? key : undefined;
}
