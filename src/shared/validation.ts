import { badUserInput } from './errors';
import { limits } from './limits';

/** Input checks shared by every module; each failure is BAD_USER_INPUT naming the field. */

/**
 * A userId is the platform's id for a player and is compared exactly, code unit for code unit. So
 * that two ids that look the same can never name two wallets, it must be printable text in one
 * canonical form (refused, never rewritten: a rewritten id would silently address another wallet):
 * - 1..128 characters;
 * - no control, format, private-use, unassigned or surrogate code points (Unicode category C:
 *   NUL, newline, zero-width space, bidi overrides...) and no separators (category Z: spaces,
 *   NBSP, line and paragraph separators);
 * - NFC, and NFKC-stable: compatibility forms (fullwidth `ａｌｉｃｅ`, ligatures, superscripts)
 *   are refused, since they render like the plain id they fold to;
 * - not the `system:` prefix, in any letter case, which names the ledger's own accounts.
 */
export function validateUserId(userId: string, field = 'userId'): string {
  if (userId.length === 0 || userId.length > limits.userIdLengthMax) {
    throw badUserInput(`${field} must be 1..${limits.userIdLengthMax} characters.`, field);
  }
  rejectNul(userId, field);
  if (/[\p{C}\p{Z}]/u.test(userId)) {
    throw badUserInput(
      `${field} must not contain spaces, control or format characters (such as zero-width or bidi characters).`,
      field,
    );
  }
  if (userId.normalize('NFC') !== userId)
    throw badUserInput(`${field} must be in Unicode normal form NFC.`, field);
  if (userId.normalize('NFKC') !== userId) {
    throw badUserInput(
      `${field} must not use compatibility characters (fullwidth forms, ligatures, superscripts).`,
      field,
    );
  }
  if (userId.toLowerCase().startsWith(systemUserIdPrefix))
    throw badUserInput(`${field} must not start with "${systemUserIdPrefix}".`, field);
  return userId;
}

/** The prefix of the ledger's own accounts; no player id may take it. */
export const systemUserIdPrefix = 'system:';

export function validateOptionalText(
  value: string | null | undefined,
  field: string,
  lengthMax: number,
): string | null {
  if (value === undefined || value === null) return null;
  if (value.length > lengthMax)
    throw badUserInput(`${field} must be at most ${lengthMax} characters.`, field);
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
    throw badUserInput(
      `metadata must be at most ${limits.metadataBytesMax} bytes of JSON.`,
      'metadata',
    );
  }
  if (depthOf(metadata) > limits.metadataDepthMax) {
    throw badUserInput(
      `metadata may nest at most ${limits.metadataDepthMax} levels deep.`,
      'metadata',
    );
  }
  // PostgreSQL's JSONB rejects the NUL character in strings; refuse it here with a clear error.
  if (serialised.includes('\\u0000'))
    throw badUserInput('metadata must not contain NUL characters.', 'metadata');
  if (hasLoneSurrogate(metadata))
    throw badUserInput(
      'metadata must be well-formed Unicode (no unpaired surrogates).',
      'metadata',
    );
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

/**
 * Text stored in PostgreSQL TEXT columns may not contain NUL, nor half of a UTF-16 surrogate pair
 * (JSON allows "\ud800"): the driver would store it as U+FFFD, so two different keys could become
 * one and a key would not read back as sent, and inside JSONB PostgreSQL rejects it outright.
 */
export function rejectNul(value: string, field: string): string {
  if (value.includes('\u0000'))
    throw badUserInput(`${field} must not contain NUL characters.`, field);
  if (!isWellFormed(value))
    throw badUserInput(`${field} must be well-formed Unicode (no unpaired surrogates).`, field);
  return value;
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isWellFormed(value: string): boolean {
  return !loneSurrogate.test(value);
}

/** True when some string in the JSON value, key or value, is not well-formed Unicode. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return !isWellFormed(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value as Record<string, unknown>).some(
    ([key, child]) => !isWellFormed(key) || hasLoneSurrogate(child),
  );
}

/**
 * The page size the service serves for a `first` argument: null or absent is the default page
 * (not 1 item, not 0), anything above the cap is the cap. Below 1 is refused by the service; the
 * cost estimate counts it as 1. One function, so that the cost estimate and the service agree.
 */
export function pageSizeOf(
  first: number | null | undefined,
  fallback: number = limits.ledgerPageSizeDefault,
): number {
  if (first === null || first === undefined) return fallback;
  return Math.min(Math.max(Math.trunc(first), 1), limits.ledgerPageSizeMax);
}

/** Ids of transactions and holds: positive decimal integers that fit a BIGINT. */
export function parseEntityId(id: string, _field: string): bigint | undefined {
  if (!/^[1-9][0-9]*$/.test(id) || id.length > limits.entityIdLengthMax) return undefined;
  const value = BigInt(id);
  return value <= limits.amountMax ? value : undefined;
}
