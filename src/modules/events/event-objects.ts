import type { Hold, HoldStatus } from '../holds/holds.types';
import type { Wallet } from '../wallet/wallet.types';

// The JSON snapshots the triggers store (prisma/migrations/*_events) turned back into the objects
// the GraphQL types resolve from. Amounts are decimal strings in JSON, bigint here.

const date = (value: unknown): Date | null => (typeof value === 'string' ? new Date(value) : null);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function holdFromSnapshot(payload: Record<string, unknown>): Hold {
  return {
    id: String(payload.id),
    userId: String(payload.userId),
    assetCode: String(payload.asset),
    amount: BigInt(String(payload.amount)),
    status: String(payload.status) as HoldStatus,
    expiresAt: date(payload.expiresAt),
    createdAt: date(payload.createdAt)!,
    reference: text(payload.reference),
    resolvedAt: date(payload.resolvedAt),
    captureTransactionId: text(payload.captureTransactionId),
    clientId: String(payload.clientId ?? ''),
  };
}

export function walletFromSnapshot(payload: Record<string, unknown>): Wallet {
  // Fields the snapshot has beyond these (status, reason, and whatever the money engine adds to
  // record_wallet_status_event) are passed through for the Wallet type's resolvers to read.
  const { asset, balance, available, lastSequence, updatedAt, paid, ...rest } = payload;
  const total = BigInt(String(balance));
  const paidPart = BigInt(String(paid ?? '0'));
  return {
    ...rest,
    userId: String(payload.userId),
    assetCode: String(asset),
    balance: total,
    available: BigInt(String(available)),
    lastSequence: BigInt(String(lastSequence ?? '0')),
    updatedAt: date(updatedAt)!,
    // The split and status as the change left them; expiring is "as of now", read by
    // WalletResolver.expiring when asked for.
    paid: paidPart,
    free: total - paidPart,
    status: payload.status === 'FROZEN' ? 'FROZEN' : 'ACTIVE',
  } as Wallet;
}

/** Dates in a webhook body are written as GraphQL's DateTime writes them (ISO 8601, UTC, ms). */
export function normaliseBodyDates(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'string' && /At$/.test(key) && !Number.isNaN(Date.parse(field)))
      out[key] = new Date(field).toISOString();
    else if (key === 'entries' && Array.isArray(field))
      out[key] = field.map((item) =>
        item && typeof item === 'object'
          ? normaliseBodyDates(item as Record<string, unknown>)
          : item,
      );
    else out[key] = field;
  }
  return out;
}
