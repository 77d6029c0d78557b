// Proves reverse as a pure rule on an in-memory book: which kinds reverse (the kinds table), a credit's reversal taking from its own lot first, allowPartial, a debit's reversal restoring its lots, and ALREADY_REVERSED, without a database.
import {
  AccountKind,
  CreditOrigin,
  EntryDirection,
  TransactionKind,
} from '../../../src/money/enums';
import {
  reversalPlanOf,
  reversalRule,
  type ReversalLoaded,
} from '../../../src/modules/reversals/reversal.rules';
import { bookOf, decide, lot, ref, wallet } from './book-fixture';

const original = { userId: 'alice', assetCode: 'GOLD', amount: 50n };
const loaded = (over: Partial<ReversalLoaded> = {}): ReversalLoaded => ({
  reversalId: undefined,
  drawn: [],
  lots: [],
  credited: undefined,
  ...over,
});
const rule = (kind: TransactionKind, allowPartial = false) =>
  reversalRule({
    original,
    originalId: 7n,
    plan: reversalPlanOf(kind, allowPartial),
    reason: 'refund',
    allowPartial,
  });

describe('reversal rule', () => {
  it('reverses TOPUP, BONUS, SPEND and CAPTURE against the original system account', () => {
    expect(reversalPlanOf(TransactionKind.TOPUP, true)).toEqual({
      userDirection: EntryDirection.DEBIT,
      account: AccountKind.TREASURY,
      partial: true,
    });
    expect(reversalPlanOf(TransactionKind.CAPTURE, false)).toEqual({
      userDirection: EntryDirection.CREDIT,
      account: AccountKind.REVENUE,
      partial: false,
    });
    expect(() => reversalPlanOf(TransactionKind.REVERSAL, false)).toThrow(
      'A reversal cannot be reversed.',
    );
    expect(() => reversalPlanOf(TransactionKind.TRANSFER, false)).toThrow(
      'A TRANSFER cannot be reversed.',
    );
    expect(() => reversalPlanOf(TransactionKind.EXPIRY, false)).toThrow(
      'A EXPIRY cannot be reversed.',
    );
    expect(() => reversalPlanOf(TransactionKind.SPEND, true)).toThrow(
      'allowPartial applies to the reversal of a TOPUP or BONUS.',
    );
  });

  it("undoing a credit takes from the credit's own lot first", () => {
    const older = lot(40n, CreditOrigin.FREE);
    const credited = lot(50n, CreditOrigin.PAID);
    const book = bookOf([wallet('alice', [older, credited])]);
    expect(decide(book, rule(TransactionKind.TOPUP), loaded({ credited: credited.id }))).toEqual({
      kind: 'accept',
    });
    const [posted] = book.postings();
    expect(posted!.posting).toMatchObject({
      kind: TransactionKind.REVERSAL,
      reversesId: 7n,
      reference: 'refund',
    });
    expect(posted!.movements).toEqual([{ lotId: credited.id, amount: -50n }]);
  });

  it('without the funds it is INSUFFICIENT_FUNDS; with allowPartial it takes what is available', () => {
    const book = bookOf([wallet('alice', [lot(20n)])]);
    expect(decide(book, rule(TransactionKind.TOPUP), loaded())).toEqual({
      kind: 'refuse',
      code: 'INSUFFICIENT_FUNDS',
    });
    expect(decide(book, rule(TransactionKind.TOPUP, true), loaded())).toEqual({ kind: 'accept' });
    expect(book.postings()[0]!.posting.amount).toBe(20n);
  });

  it('undoing a debit restores the lots it drew from', () => {
    const spentFrom = lot(0n, CreditOrigin.PAID);
    const book = bookOf([wallet('alice', [lot(5n, CreditOrigin.FREE)])]);
    const drawn = [{ lotId: spentFrom.id, amount: 50n }];
    expect(decide(book, rule(TransactionKind.SPEND), loaded({ drawn, lots: [spentFrom] }))).toEqual(
      {
        kind: 'accept',
      },
    );
    const alice = book.find(ref('alice'))!;
    expect(alice.balance).toBe(55n);
    expect(alice.lots.find((l) => l.id === spentFrom.id)?.remaining).toBe(50n);
    expect(book.postings()[0]!.paidAmount).toBe(50n);
  });

  it('a transaction already reversed is ALREADY_REVERSED', () => {
    const book = bookOf([wallet('alice', [lot(100n)])]);
    expect(decide(book, rule(TransactionKind.TOPUP), loaded({ reversalId: 8n }))).toEqual({
      kind: 'refuse',
      code: 'ALREADY_REVERSED',
    });
  });
});
