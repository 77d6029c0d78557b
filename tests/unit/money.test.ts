// Proves the Amount scalar keeps money exact: decimal strings and safe Ints in, decimal strings out, everything else refused.
import { Kind } from 'graphql';
import { AmountScalar, parseAmount, requirePositiveAmount } from '../../src/shared/money';

describe('Amount', () => {
  it('parses decimal strings and safe integers to bigint', () => {
    expect(parseAmount('1500')).toBe(1500n);
    expect(parseAmount(42)).toBe(42n);
    expect(parseAmount('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseAmount('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseAmount('0')).toBe(0n);
  });

  it.each([
    1.5,
    '1.5',
    '1e3',
    'abc',
    ' 5',
    '5 ',
    '+5',
    '0x10',
    '007',
    '',
    '9223372036854775808',
    '-9223372036854775809',
    2 ** 53,
    NaN,
    Infinity,
    null,
    true,
    {},
  ])('refuses %p', (value) => {
    expect(() => parseAmount(value)).toThrow();
  });

  it('serialises to a decimal string without precision loss', () => {
    expect(AmountScalar.serialize(9223372036854775807n)).toBe('9223372036854775807');
    expect(AmountScalar.serialize(0n)).toBe('0');
    expect(() => AmountScalar.serialize(1.5)).toThrow();
  });

  it('parses Int and String literals, refuses Float literals', () => {
    expect(AmountScalar.parseLiteral({ kind: Kind.INT, value: '9223372036854775807' })).toBe(
      9223372036854775807n,
    );
    expect(AmountScalar.parseLiteral({ kind: Kind.STRING, value: '12' })).toBe(12n);
    expect(() => AmountScalar.parseLiteral({ kind: Kind.FLOAT, value: '1.5' })).toThrow();
  });

  it('mutations need at least 1', () => {
    expect(requirePositiveAmount(1n)).toBe(1n);
    expect(() => requirePositiveAmount(0n)).toThrow(/at least 1/);
    expect(() => requirePositiveAmount(-1n)).toThrow(/at least 1/);
  });
});
