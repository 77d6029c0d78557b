// Proves transfer and applyChangeset as pure rules on an in-memory book: two user legs, the sender's daily counter, freezes, and a changeset's all-or-nothing with the refused leg's index, without a database.
import {
  AccountKind,
  CreditOrigin,
  EntryDirection,
  TransactionKind,
} from '../../../src/money/enums';
import { changesetRule, transferRule } from '../../../src/modules/transfers/transfer.rules';
import { bookOf, decide, lot, ref, wallet } from './book-fixture';

const transfer = (amount: bigint) =>
  transferRule({ from: ref('alice'), to: ref('bob'), amount, reference: null, metadata: null });

describe('transfer rule', () => {
  it('debits the sender, credits the recipient a FREE lot, and counts transferOutToday', () => {
    const book = bookOf([wallet('alice', [lot(100n)]), wallet('bob')]);
    expect(decide(book, transfer(60n))).toEqual({ kind: 'accept' });
    const [posted] = book.postings();
    expect(posted!.posting.kind).toBe(TransactionKind.TRANSFER);
    expect(posted!.posting.counterpartyUserId).toBe('bob');
    expect(posted!.posting.legs.map((l) => [l.account, l.direction])).toEqual([
      [AccountKind.USER, EntryDirection.DEBIT],
      [AccountKind.USER, EntryDirection.CREDIT],
    ]);
    expect(book.find(ref('bob'))!.lots.map((l) => [l.origin, l.remaining])).toEqual([
      [CreditOrigin.FREE, 60n],
    ]);
    expect(book.transferOutToday(ref('alice'))).toBe(60n);
    expect(book.transferOutToday(ref('bob'))).toBe(0n);
  });

  it('refuses a frozen recipient, a short sender, and a send beyond dailyTransferOutMax', () => {
    expect(
      decide(
        bookOf([wallet('alice', [lot(100n)]), wallet('bob')], { frozenUsers: ['bob'] }),
        transfer(1n),
      ),
    ).toEqual({ kind: 'refuse', code: 'WALLET_FROZEN' });
    expect(decide(bookOf([wallet('alice', [lot(10n)]), wallet('bob')]), transfer(11n))).toEqual({
      kind: 'refuse',
      code: 'INSUFFICIENT_FUNDS',
    });
    const limited = bookOf([wallet('alice', [lot(100n)]), wallet('bob')], {
      limits: { dailyTransferOutMax: 50n },
    });
    expect(decide(limited, transfer(40n))).toEqual({ kind: 'accept' });
    expect(decide(limited, transfer(20n))).toEqual({
      kind: 'refuse',
      code: 'LIMIT_EXCEEDED',
      detail: { limit: 'dailyTransferOutMax', max: '50', remaining: '10' },
    });
  });
});

describe('changeset rule', () => {
  const leg = (
    userId: string,
    kind: TransactionKind.TOPUP | TransactionKind.SPEND,
    amount: bigint,
  ) => ({
    kind,
    wallet: ref(userId),
    amount,
    expiresAt: null,
  });

  it('posts every leg under one changeset id, and answers wallets by user', () => {
    const rule = changesetRule({
      legs: [leg('zed', TransactionKind.TOPUP, 5n), leg('amy', TransactionKind.SPEND, 3n)],
      reference: null,
      metadata: null,
    });
    expect(rule.wallets.map((w) => w.userId)).toEqual(['amy', 'zed']);
    expect(rule.creates.map((w) => w.userId)).toEqual(['zed']);
    const book = bookOf([wallet('amy', [lot(3n)]), wallet('zed')]);
    expect(decide(book, rule)).toEqual({ kind: 'accept' });
    const ids = book.postings().map((p) => p.changesetId);
    expect(ids).toEqual([book.postings()[0]!.id, book.postings()[0]!.id]);
  });

  it('refuses all legs when one is refused, naming that leg', () => {
    const book = bookOf([wallet('amy', [lot(3n)]), wallet('zed')]);
    const rule = changesetRule({
      legs: [leg('zed', TransactionKind.TOPUP, 5n), leg('amy', TransactionKind.SPEND, 4n)],
      reference: null,
      metadata: null,
    });
    expect(decide(book, rule)).toEqual({
      kind: 'refuse',
      code: 'INSUFFICIENT_FUNDS',
      detail: { leg: 1 },
    });
    expect(book.postings()).toHaveLength(0);
    expect(book.find(ref('zed'))!.balance).toBe(0n);
  });
});
