// Proves the input rules shared by every module: metadata size, depth and Unicode, user ids, free text and entity ids, each refusal BAD_USER_INPUT naming its field.
import { limits } from '../../src/shared/limits';
import {
  parseEntityId,
  validateMetadata,
  validateOptionalText,
  validateUserId,
} from '../../src/shared/validation';

/** The code and field of what `run` throws; fails the test when it does not throw. */
function refusal(run: () => unknown): { code?: unknown; field?: unknown } {
  try {
    run();
  } catch (error) {
    const { code, field } = (error as { extensions?: Record<string, unknown> }).extensions ?? {};
    return { code, field };
  }
  throw new Error('the input was accepted');
}
const metadataRefused = { code: 'BAD_USER_INPUT', field: 'metadata' };

/** A value nested `levels` objects deep: { a: { a: ... 1 } }. */
const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });

describe('metadata', () => {
  it('is optional: null and undefined store null', () => {
    expect(validateMetadata(undefined)).toBeNull();
    expect(validateMetadata(null)).toBeNull();
  });

  it('accepts JSON up to the size and depth limits, unchanged', () => {
    const value = {
      store: 'ios',
      tags: ['a', 'b'],
      price: { amount: 199, currency: 'EUR' },
      note: 'ünïcödé 😀',
    };
    expect(validateMetadata(value)).toBe(value);
    expect(validateMetadata(nested(limits.metadataDepthMax))).toEqual(
      nested(limits.metadataDepthMax),
    );
    const fits = { s: 'x'.repeat(limits.metadataBytesMax - JSON.stringify({ s: '' }).length) };
    expect(Buffer.byteLength(JSON.stringify(fits))).toBe(limits.metadataBytesMax);
    expect(validateMetadata(fits)).toBe(fits);
  });

  it('refuses one byte over the size limit, counted in UTF-8 bytes', () => {
    expect(refusal(() => validateMetadata({ s: 'x'.repeat(limits.metadataBytesMax) }))).toEqual(
      metadataRefused,
    );
    // 'é' is one UTF-16 unit but two UTF-8 bytes.
    expect(refusal(() => validateMetadata({ s: 'é'.repeat(limits.metadataBytesMax / 2) }))).toEqual(
      metadataRefused,
    );
  });

  it('refuses nesting one level past the depth limit', () => {
    expect(refusal(() => validateMetadata(nested(limits.metadataDepthMax + 1)))).toEqual(
      metadataRefused,
    );
  });

  it('refuses NUL characters and unpaired surrogates, in keys and values', () => {
    expect(refusal(() => validateMetadata({ s: 'a\u0000b' }))).toEqual(metadataRefused);
    expect(refusal(() => validateMetadata({ s: '\ud800' }))).toEqual(metadataRefused);
    expect(refusal(() => validateMetadata({ ['\udc00']: 1 }))).toEqual(metadataRefused);
    expect(validateMetadata({ s: '\ud83d\ude00' })).toEqual({ s: '😀' });
  });

  it('refuses values that are not JSON', () => {
    expect(refusal(() => validateMetadata({ n: 1n }))).toEqual(metadataRefused);
  });
});

describe('user ids and free text', () => {
  it('accept 1..userIdLengthMax characters of well-formed text', () => {
    expect(validateUserId('a')).toBe('a');
    expect(validateUserId('x'.repeat(limits.userIdLengthMax))).toHaveLength(limits.userIdLengthMax);
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(limits.userIdLengthMax + 1)],
    ['with NUL', 'al\u0000ice'],
    ['with an unpaired surrogate', 'al\ud800ice'],
  ])('refuse a user id that is %s, naming the field', (_what, userId) => {
    expect(refusal(() => validateUserId(userId))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'userId',
    });
    expect(refusal(() => validateUserId(userId, 'toUserId'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'toUserId',
    });
  });

  it('optional text is null when absent, bounded when present', () => {
    expect(validateOptionalText(undefined, 'reference', 5)).toBeNull();
    expect(validateOptionalText(null, 'reference', 5)).toBeNull();
    expect(validateOptionalText('12345', 'reference', 5)).toBe('12345');
    expect(refusal(() => validateOptionalText('123456', 'reference', 5))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'reference',
    });
    expect(refusal(() => validateOptionalText('a\u0000', 'reason', 5))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'reason',
    });
  });
});

describe('entity ids', () => {
  it('are positive decimal integers that fit a BIGINT', () => {
    expect(parseEntityId('1', 'id')).toBe(1n);
    expect(parseEntityId(limits.amountMax.toString(), 'id')).toBe(limits.amountMax);
  });

  it.each([
    '',
    '0',
    '-1',
    '01',
    '1.0',
    '1e3',
    ' 1',
    'abc',
    (limits.amountMax + 1n).toString(),
    '1'.repeat(limits.entityIdLengthMax + 1),
  ])('reads %p as no such id', (id) => {
    expect(parseEntityId(id, 'id')).toBeUndefined();
  });
});
