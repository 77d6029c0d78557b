import type { PrismaClient } from '../../../generated/prisma/client';
import { AppError, isDatabaseUnavailable, serviceUnavailable, sqlState } from '../errors';
import { limits } from '../limits';
import type { TxClient } from './prisma';

export interface TransactionOptions {
  maxWaitMs: number;
  timeoutMs: number;
}

// 40001 serialization failure and 40P01 deadlock are safe to retry by definition. 23505 (unique
// violation) is retried because it means a concurrent request won a race on an idempotency key:
// the next attempt reads the winner's recorded outcome and replays it.
const retryableStates = new Set(['40001', '40P01', '23505']);

/**
 * Runs `work` as one Prisma interactive transaction at READ COMMITTED (rows that matter are locked
 * explicitly with SELECT ... FOR UPDATE), with explicit waits and timeouts, retrying a bounded
 * number of times on failures that a fresh attempt resolves. An unreachable database becomes
 * SERVICE_UNAVAILABLE.
 */
export async function runTransaction<T>(
  prisma: PrismaClient,
  options: TransactionOptions,
  work: (tx: TxClient) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      // READ COMMITTED is set on every pooled connection (see createDatabase), which spares the
      // extra SET TRANSACTION round trip Prisma sends when given an isolation level here.
      return await prisma.$transaction(work, {
        maxWait: options.maxWaitMs,
        timeout: options.timeoutMs,
      });
    } catch (error) {
      if (error instanceof AppError) throw error;
      const state = sqlState(error);
      if (state && retryableStates.has(state) && attempt < limits.transactionAttemptsMax) {
        await new Promise((resolve) =>
          setTimeout(resolve, limits.transactionRetryBackoffMs * attempt * Math.random()),
        );
        continue;
      }
      if (isDatabaseUnavailable(error)) throw serviceUnavailable();
      throw error;
    }
  }
}
