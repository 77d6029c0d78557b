// Proves the ledger cursor rules: an endCursor the API returned decodes to its entry id, and anything else is BAD_USER_INPUT on `after`.
import { decodeCursor, encodeCursor } from '../../src/modules/ledger/ledger.service';
import { limits } from '../../src/shared/limits';

/** The contract code and field of the error `decode` throws. */
function refusal(cursor: string): { code?: unknown; field?: unknown } {
  try {
    decodeCursor(cursor);
  } catch (error) {
    const { code, field } = (error as { extensions?: Record<string, unknown> }).extensions ?? {};
    return { code, field };
  }
  throw new Error(`cursor ${JSON.stringify(cursor)} was accepted`);
}

describe('ledger cursors', () => {
  it('round-trip any entry id up to the largest BIGINT', () => {
    for (const id of ['1', '42', '9007199254740993', limits.amountMax.toString()]) {
      const cursor = encodeCursor(id);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).toBe(BigInt(id));
    }
  });

  it('are opaque: the id is not readable in the cursor', () => {
    expect(encodeCursor('42')).not.toContain('42');
  });

  const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  it.each([
    ['empty', ''],
    ['not base64url', 'ZTo0Mg=='],
    ['spaces', 'ZTo 0Mg'],
    ['too long', 'A'.repeat(limits.cursorLengthMax + 1)],
    ['no version prefix', base64url('42')],
    ['another prefix', base64url('x:42')],
    ['id zero', base64url('e:0')],
    ['negative id', base64url('e:-1')],
    ['leading zero', base64url('e:042')],
    ['not a number', base64url('e:abc')],
    ['beyond BIGINT', base64url(`e:${limits.amountMax + 1n}`)],
    ['an exponent', base64url('e:1e3')],
  ])('refuses a cursor that is %s', (_what, cursor) => {
    expect(refusal(cursor)).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});
