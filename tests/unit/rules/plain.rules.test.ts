// Proves topup, bonus and spend as pure rules on an in-memory book: the kinds table's accounts and lot origins, the limits, and the refusals, without a database.
import {
  AccountKind,
  CreditOrigin,
  EntryDirection,
  TransactionKind,
} from '../../../src/money/enums';
import { plainRule, type PlainRequest } from '../../../src/modules/wallet/plain.rules';
import { bookOf, decide, lot, now, ref, wallet } from './book-fixture';

const request = (over: Partial<PlainRequest>): PlainRequest => ({
  kind: TransactionKind.TOPUP,
  wallet: ref('alice'),
  amount: 100n,
  reference: 'order-1',
  metadata: null,
  expiresAt: null,
  ...over,
});

describe('plain rules', () => {
  it('a topup credits a new PAID lot against the treasury, and creates the wallet', () => {
    const rule = plainRule(request({}));
    expect(rule.name).toBe('topup');
    expect(rule.creates).toEqual([ref('alice')]);
    const book = bookOf([wallet('alice')]);
    expect(decide(book, rule)).toEqual({ kind: 'accept' });
    const [posted] = book.postings();
    expect(posted!.posting.legs.map((l) => [l.account, l.direction])).toEqual([
      [AccountKind.USER, EntryDirection.CREDIT],
      [AccountKind.TREASURY, EntryDirection.DEBIT],
    ]);
    expect(book.find(ref('alice'))!.lots.map((l) => [l.origin, l.remaining])).toEqual([
      [CreditOrigin.PAID, 100n],
    ]);
    expect(posted!.paidAmount).toBe(100n);
  });

  it('a bonus credits a FREE lot from the bonus pool and counts against dailyBonusMax', () => {
    const book = bookOf(
      [wallet('alice', [], { bonusDay: Math.floor(now.getTime() / 86_400_000), bonusToday: 70n })],
      {
        limits: { dailyBonusMax: 100n },
      },
    );
    expect(decide(book, plainRule(request({ kind: TransactionKind.BONUS, amount: 40n })))).toEqual({
      kind: 'refuse',
      code: 'LIMIT_EXCEEDED',
      detail: { limit: 'dailyBonusMax', max: '100', remaining: '30' },
    });
    expect(book.postings()).toHaveLength(0);
    expect(decide(book, plainRule(request({ kind: TransactionKind.BONUS, amount: 30n })))).toEqual({
      kind: 'accept',
    });
    expect(book.bonusToday(ref('alice'))).toBe(100n);
    expect(book.postings()[0]!.posting.legs[1]!.account).toBe(AccountKind.BONUS_POOL);
  });

  it('a credit beyond balanceMax is LIMIT_EXCEEDED with what could still be accepted', () => {
    const book = bookOf([wallet('alice', [lot(90n)])], { limits: { balanceMax: 100n } });
    expect(decide(book, plainRule(request({ amount: 20n })))).toMatchObject({
      kind: 'refuse',
      code: 'LIMIT_EXCEEDED',
      detail: { limit: 'balanceMax', remaining: '10' },
    });
  });

  it('a spend draws in the debit order (FREE before PAID) to revenue, and refuses what is not available', () => {
    const free = lot(30n, CreditOrigin.FREE);
    const paid = lot(50n, CreditOrigin.PAID);
    const book = bookOf([wallet('alice', [paid, free])]);
    expect(decide(book, plainRule(request({ kind: TransactionKind.SPEND, amount: 81n })))).toEqual({
      kind: 'refuse',
      code: 'INSUFFICIENT_FUNDS',
    });
    expect(decide(book, plainRule(request({ kind: TransactionKind.SPEND, amount: 40n })))).toEqual({
      kind: 'accept',
    });
    const [posted] = book.postings();
    expect(posted!.movements).toEqual([
      { lotId: free.id, amount: -30n },
      { lotId: paid.id, amount: -10n },
    ]);
    expect(posted!.paidAmount).toBe(10n);
    expect(posted!.posting.legs[1]!.account).toBe(AccountKind.REVENUE);
  });

  it('a frozen wallet refuses a spend but still takes a credit', () => {
    const book = bookOf([wallet('alice', [lot(50n)], { frozen: true })]);
    expect(decide(book, plainRule(request({ kind: TransactionKind.SPEND, amount: 1n })))).toEqual({
      kind: 'refuse',
      code: 'WALLET_FROZEN',
    });
    expect(decide(book, plainRule(request({ amount: 1n })))).toEqual({ kind: 'accept' });
  });

  it('a lot expiry already past is malformed input, judged at the decision', () => {
    const book = bookOf([wallet('alice')]);
    const rule = plainRule(request({ expiresAt: new Date(now.getTime() - 1) }));
    expect(() => rule.decide(book, undefined)).toThrow(/must be in the future/);
  });
});
