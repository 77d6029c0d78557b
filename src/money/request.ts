import { assertCanMoveMoney } from '../shared/auth/authorize';
import type { Principal } from '../shared/auth/principal';
import { validateIdempotencyKey } from '../shared/idempotency';
import { limits } from '../shared/limits';
import { validateMetadata, validateOptionalText } from '../shared/validation';

/** The fields every money request shares (an operation without reference or metadata omits them). */
export interface MoneyRequestInput {
  idempotencyKey: string;
  reference?: string | null;
  metadata?: unknown;
}

export interface MoneyRequest {
  idempotencyKey: string;
  reference: string | null;
  metadata: unknown;
}

export interface MoneyRequestOptions {
  /** The free-text field and its longest length (reverse's `reason`); default `reference`. */
  text?: { value: string | null | undefined; field: string; lengthMax: number };
}

/**
 * The prelude of every money operation, in one order: may the caller move money at all (first, so
 * that a caller who may not learns nothing about what a valid request looks like), then the
 * operation's own fields (`fields`: ids, amounts, expiries), then the idempotency key, the
 * reference and the metadata. Every refusal here is BAD_USER_INPUT or FORBIDDEN and writes nothing.
 */
export function validateMoneyRequest<T>(
  principal: Principal,
  input: MoneyRequestInput,
  fields: () => T,
  options: MoneyRequestOptions = {},
): T & MoneyRequest {
  assertCanMoveMoney(principal);
  const own = fields();
  const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
  const text = options.text ?? {
    value: input.reference,
    field: 'reference',
    lengthMax: limits.referenceLengthMax,
  };
  const reference = validateOptionalText(text.value, text.field, text.lengthMax);
  const metadata = validateMetadata(input.metadata);
  return { ...own, idempotencyKey, reference, metadata };
}
