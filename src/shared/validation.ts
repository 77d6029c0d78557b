import { badUserInput } from './errors';
import { limits } from './limits';

/** Input checks shared by every module; each failure is BAD_USER_INPUT naming the field. */

export function validateUserId(userId: string, field = 'userId'): string {
  if (userId.length === 0 || userId.length > limits.userIdLengthMax) {
    throw badUserInput(`${field} must be 1..${limits.userIdLengthMax} characters.`, field);
  }
  return rejectNul(userId, field);
}

export function validateOptionalText(value: string | null | undefined, field: string, lengthMax: number): string | null {
  if (value === undefined || value === null) return null;
  if (value.length > lengthMax) throw badUserInput(`${field} must be at most ${lengthMax} characters.`, field);
  return rejectNul(value, field);
}

/** Metadata is caller JSON stored as JSONB: bounded in size and depth, and never a bare scalar mess. */
export function validateMetadata(metadata: unknown): unknown {
  if (metadata === undefined || metadata === null) return null;
  let serialised: string;
  try {
    serialised = JSON.stringify(metadata);
  } catch {
    throw badUserInput('metadata must be JSON.', 'metadata');
  }
  if (Buffer.byteLength(serialised, 'utf8') > limits.metadataBytesMax) {
    throw badUserInput(`metadata must be at most ${limits.metadataBytesMax} bytes of JSON.`, 'metadata');
  }
  if (depthOf(metadata) > limits.metadataDepthMax) {
    throw badUserInput(`metadata may nest at most ${limits.metadataDepthMax} levels deep.`, 'metadata');
  }
  // PostgreSQL's JSONB rejects the NUL character in strings; refuse it here with a clear error.
  if (serialised.includes('\\u0000')) throw badUserInput('metadata must not contain NUL characters.', 'metadata');
  return metadata;
}

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const child of Object.values(value as Record<string, unknown>)) {
    deepest = Math.max(deepest, depthOf(child));
    if (deepest > limits.metadataDepthMax) break;
  }
  return deepest + 1;
}

/** Text stored in PostgreSQL TEXT columns may not contain NUL. */
export function rejectNul(value: string, field: string): string {
  if (value.includes('\u0000')) throw badUserInput(`${field} must not contain NUL characters.`, field);
  return value;
}

/** Ids of transactions and holds: positive decimal integers that fit a BIGINT. */
export function parseEntityId(id: string, field: string): bigint | undefined {
  if (!/^[1-9][0-9]*$/.test(id) || id.length > limits.entityIdLengthMax) return undefined;
  const value = BigInt(id);
  return value <= limits.amountMax ? value : undefined;
}
