import { createHash } from 'node:crypto';
import { AppError, ErrorCode, badUserInput, refusalError } from './errors';
import { limits } from './limits';
import { rejectNul } from './validation';

/** Who is asking and under which key: keys are scoped to the calling client (token subject). */
export interface IdempotencyScope {
  clientId: string;
  idempotencyKey: string;
  operation: string;
  requestHash: string;
}

/** The outcome a key already has, as recorded in idempotency_keys. */
export interface PriorOutcome {
  operation: string;
  requestHash: string;
  outcome: 'SUCCEEDED' | 'REFUSED';
  errorCode: string | null;
  transactionId: bigint | null;
  holdId: bigint | null;
}

export function validateIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > limits.idempotencyKeyLengthMax) {
    throw badUserInput(`idempotencyKey must be 1..${limits.idempotencyKeyLengthMax} characters.`, 'idempotencyKey');
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
 * different request, the recorded refusal again, or the ids of the original result to replay.
 */
export function replayPrior(scope: IdempotencyScope, prior: PriorOutcome): { transactionId: bigint | null; holdId: bigint | null } {
  if (prior.operation !== scope.operation || prior.requestHash !== scope.requestHash) {
    throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used for a different request.');
  }
  if (prior.outcome === 'REFUSED') throw refusalError(prior.errorCode ?? '');
  return { transactionId: prior.transactionId, holdId: prior.holdId };
}

/** Reads the prior_* columns a lock statement returns into a PriorOutcome, if the key has one. */
export function priorFromRow(row: {
  prior_operation: string | null; prior_request_hash: string | null; prior_outcome: 'SUCCEEDED' | 'REFUSED' | null;
  prior_error_code: string | null; prior_transaction_id: bigint | null; prior_hold_id: bigint | null;
}): PriorOutcome | undefined {
  if (row.prior_outcome === null || row.prior_operation === null || row.prior_request_hash === null) return undefined;
  return {
    operation: row.prior_operation,
    requestHash: row.prior_request_hash,
    outcome: row.prior_outcome,
    errorCode: row.prior_error_code,
    transactionId: row.prior_transaction_id,
    holdId: row.prior_hold_id,
  };
}
