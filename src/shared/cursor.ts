import { badUserInput } from './errors';
import { limits } from './limits';

/**
 * Opaque page cursors: a payload behind a version prefix, base64url-encoded. Clients only pass back
 * what the API returned; anything else is BAD_USER_INPUT (never a server error).
 */
export function encodeOpaqueCursor(prefix: string, payload: string): string {
  return Buffer.from(`${prefix}${payload}`, 'utf8').toString('base64url');
}

export const malformedCursor = () =>
  badUserInput('The cursor is malformed; pass an endCursor this API returned.', 'after');

/** The payload of a cursor made with `prefix`; throws malformedCursor for anything else. */
export function decodeOpaqueCursor(prefix: string, cursor: string): string {
  if (
    cursor.length === 0 ||
    cursor.length > limits.cursorLengthMax ||
    !/^[A-Za-z0-9_-]+$/.test(cursor)
  ) {
    throw malformedCursor();
  }
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(prefix)) throw malformedCursor();
  return text.slice(prefix.length);
}
