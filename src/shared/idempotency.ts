import { createHash } from 'node:crypto';
import {
  AppError,
  ErrorCode,
  badUserInput,
  isRefusalCode,
  refusalError,
  type RefusalDetail,
} from './errors';
import { limits } from './limits';
import { rejectNul } from './validation';

/** The outcome a key already has, as recorded in idempotency_keys. */
export interface PriorOutcome {
  operation: string;
  requestHash: string;
  outcome: 'SUCCEEDED' | 'REFUSED';
  errorCode: string | null;
  /** What a replayed refusal repeats in its extensions (a changeset's leg, a limit). */
  errorDetail?: RefusalDetail | null;
  transactionId: bigint | null;
  holdId: bigint | null;
  changesetId?: bigint | null;
}

export function validateIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > limits.idempotencyKeyLengthMax) {
    throw badUserInput(
      `idempotencyKey must be 1..${limits.idempotencyKeyLengthMax} characters.`,
      'idempotencyKey',
    );
  }
  return rejectNul(key, 'idempotencyKey');
}

/** JSON with sorted object keys and bigints as strings, so equal requests hash equally. */
function canonical(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint of a request: the operation and every input field that affects its outcome. */
export function hashRequest(operation: string, fields: Record<string, unknown>): string {
  return createHash('sha256').update(canonical({ operation, fields })).digest('hex');
}

/**
 * Decides what a request whose key already has an outcome gets: IDEMPOTENCY_KEY_REUSED for a
 * different request (another operation, or another fingerprint), the recorded refusal again with
 * its details, or the ids of the original result to replay.
 */
export function replayPrior(
  request: { operation: string; requestHash: string },
  prior: PriorOutcome,
): { transactionId: bigint | null; holdId: bigint | null; changesetId: bigint | null | undefined } {
  if (prior.operation !== request.operation || prior.requestHash !== request.requestHash) {
    throw new AppError(
      ErrorCode.IDEMPOTENCY_KEY_REUSED,
      'This idempotency key was already used for a different request.',
    );
  }
  if (prior.outcome === 'REFUSED') {
    if (prior.errorCode === null || !isRefusalCode(prior.errorCode))
      throw new Error(`invariant: unknown recorded refusal ${prior.errorCode}`);
    throw refusalError(prior.errorCode, prior.errorDetail ?? undefined);
  }
  return {
    transactionId: prior.transactionId,
    holdId: prior.holdId,
    changesetId: prior.changesetId,
  };
}
