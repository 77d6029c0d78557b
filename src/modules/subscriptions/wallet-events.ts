/**
 * The wake-up a committed money transaction sends to every gateway process: which wallet moved and
 * to which sequence. It carries ids only (PostgreSQL caps a NOTIFY payload at 8000 bytes, and the
 * ledger is the source of truth); subscribers read the entries themselves.
 *
 * ledgerStore.postTransfer queues it with pg_notify inside the money transaction, so PostgreSQL
 * delivers it only once that transaction commits, and never for one that rolls back.
 */
export { walletEventsChannel } from '../../money/wallet-events';

export interface WalletEvent {
  walletId: string;
  userId: string;
  asset: string;
  /** The wallet's sequence after the change. */
  sequence: bigint;
  entryId: string;
}

/** Parses a notification payload; anything malformed is undefined (and ignored by the caller). */
export function parseWalletEvent(payload: string | undefined): WalletEvent | undefined {
  if (!payload) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { walletId, userId, asset, sequence, entryId } = value as Record<string, unknown>;
  if (
    typeof userId !== 'string' ||
    typeof asset !== 'string' ||
    typeof sequence !== 'string' ||
    !/^[0-9]{1,19}$/.test(sequence)
  )
    return undefined;
  return {
    walletId: String(walletId),
    userId,
    asset,
    sequence: BigInt(sequence),
    entryId: String(entryId),
  };
}
