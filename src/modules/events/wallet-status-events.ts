import type { TxClient } from '../../shared/db/prisma';

/**
 * Records one WALLET_STATUS event per wallet whose status changed, in the transaction that changed
 * it (record_wallet_status_event, prisma/migrations/*_events): the feed and the webhooks see every
 * freeze and unfreeze, with its reason, exactly when it commits.
 */
export async function recordWalletStatusEvents(
  tx: TxClient,
  walletIds: bigint[],
  status: string,
  reason: string | null,
): Promise<void> {
  await tx.$executeRaw`/* recordWalletStatusEvents */
    SELECT record_wallet_status_event(id, ${status}, ${reason}::text) FROM unnest(${walletIds}::bigint[]) AS id`;
}
