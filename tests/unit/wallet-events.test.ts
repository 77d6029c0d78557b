// Proves how a wallet_events notification payload is read: the ids of a committed change come through exact, and anything malformed is dropped rather than thrown.
import { parseWalletEvent } from '../../src/modules/subscriptions/wallet-events';

const valid = {
  walletId: '7',
  userId: 'alice',
  asset: 'GOLD_COINS',
  sequence: '12',
  entryId: '99',
};

describe('parseWalletEvent', () => {
  it('reads a well-formed payload, the sequence as an exact bigint', () => {
    expect(parseWalletEvent(JSON.stringify(valid))).toEqual({
      walletId: '7',
      userId: 'alice',
      asset: 'GOLD_COINS',
      sequence: 12n,
      entryId: '99',
    });
    const big = parseWalletEvent(JSON.stringify({ ...valid, sequence: '9223372036854775807' }));
    expect(big?.sequence).toBe(9223372036854775807n);
  });

  it('keeps user ids and asset codes exactly as sent (any Unicode)', () => {
    expect(parseWalletEvent(JSON.stringify({ ...valid, userId: 'игрок 😀 "q"' }))?.userId).toBe(
      'игрок 😀 "q"',
    );
  });

  it.each([
    ['nothing', undefined],
    ['an empty payload', ''],
    ['not JSON', '{walletId: 7'],
    ['JSON null', 'null'],
    ['a JSON string', '"alice"'],
    ['a number', '12'],
    ['no userId', JSON.stringify({ ...valid, userId: undefined })],
    ['a numeric userId', JSON.stringify({ ...valid, userId: 5 })],
    ['no asset', JSON.stringify({ ...valid, asset: undefined })],
    ['a numeric sequence', JSON.stringify({ ...valid, sequence: 12 })],
    ['a negative sequence', JSON.stringify({ ...valid, sequence: '-1' })],
    ['a fractional sequence', JSON.stringify({ ...valid, sequence: '1.5' })],
    ['a sequence of 20 digits', JSON.stringify({ ...valid, sequence: '1'.repeat(20) })],
  ])('drops %s', (_what, payload) => {
    expect(parseWalletEvent(payload)).toBeUndefined();
  });
});
