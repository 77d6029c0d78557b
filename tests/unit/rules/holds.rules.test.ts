// Proves hold, captureHold and releaseHold as pure rules on an in-memory book: reservations in the debit order, a partial capture consuming reserved lots, and the refusals, without a database.
import { AccountKind, CreditOrigin, EntryDirection } from '../../../src/money/enums';
import { captureRule, placeRule, releaseRule } from '../../../src/modules/holds/holds.rules';
import type { LockedHold } from '../../../src/modules/holds/holds.store';
import { bookOf, decide, lot, ref, wallet } from './book-fixture';

const hold = { userId: 'alice', assetCode: 'GOLD', reference: 'table-7' };

describe('holds rules', () => {
  it('a hold reserves lots in the debit order: available drops, the balance does not', () => {
    const free = lot(30n, CreditOrigin.FREE);
    const paid = lot(50n, CreditOrigin.PAID);
    const book = bookOf([wallet('alice', [paid, free])]);
    const verdict = decide(
      book,
      placeRule({ wallet: ref('alice'), amount: 40n, reference: null, expiresAt: null }),
    );
    expect(verdict.kind).toBe('accept');
    expect(verdict.kind === 'accept' && verdict.effect!.reservations).toEqual([
      { lotId: free.id, amount: 30n },
      { lotId: paid.id, amount: 10n },
    ]);
    expect(book.view(ref('alice'))).toMatchObject({ balance: 80n, available: 40n });
    expect(book.postings()).toHaveLength(0);
  });

  it('a hold beyond what is available is INSUFFICIENT_FUNDS; a frozen wallet WALLET_FROZEN', () => {
    const rule = placeRule({ wallet: ref('alice'), amount: 81n, reference: null, expiresAt: null });
    expect(decide(bookOf([wallet('alice', [lot(80n)])]), rule)).toEqual({
      kind: 'refuse',
      code: 'INSUFFICIENT_FUNDS',
    });
    expect(decide(bookOf([wallet('alice', [lot(100n)], { frozen: true })]), rule)).toEqual({
      kind: 'refuse',
      code: 'WALLET_FROZEN',
    });
  });

  it('a partial capture posts a CAPTURE to revenue from the reserved lots and releases the rest', () => {
    const a = lot(60n);
    const book = bookOf([wallet('alice', [a], { held: 50n, reserved: new Map([[a.id, 50n]]) })]);
    const locked: LockedHold = {
      id: 9n,
      walletId: book.find(ref('alice'))!.id,
      amount: 50n,
      status: 'ACTIVE',
      expired: false,
      reservedLots: [{ lotId: a.id, amount: 50n }],
    };
    expect(decide(book, captureRule({ hold, holdId: 9n, amount: 20n }), locked)).toEqual({
      kind: 'accept',
    });
    const [posted] = book.postings();
    expect(posted!.posting.holdId).toBe(9n);
    expect(posted!.posting.reference).toBe('table-7');
    expect(posted!.posting.legs.map((l) => [l.account, l.direction, l.amount])).toEqual([
      [AccountKind.USER, EntryDirection.DEBIT, 20n],
      [AccountKind.REVENUE, EntryDirection.CREDIT, 20n],
    ]);
    expect(book.view(ref('alice'))).toMatchObject({ balance: 40n, available: 40n });
  });

  it('capture and release of a hold no longer active are HOLD_NOT_ACTIVE', () => {
    const book = bookOf([wallet('alice', [lot(10n)])]);
    expect(decide(book, captureRule({ hold, holdId: 9n, amount: null }), undefined)).toEqual({
      kind: 'refuse',
      code: 'HOLD_NOT_ACTIVE',
    });
    expect(decide(book, releaseRule(hold, 9n), undefined)).toEqual({
      kind: 'refuse',
      code: 'HOLD_NOT_ACTIVE',
    });
  });

  it('a release gives the reservation back without a posting', () => {
    const a = lot(60n);
    const book = bookOf([wallet('alice', [a], { held: 50n, reserved: new Map([[a.id, 50n]]) })]);
    const locked: LockedHold = {
      id: 9n,
      walletId: book.find(ref('alice'))!.id,
      amount: 50n,
      status: 'ACTIVE',
      expired: false,
      reservedLots: [{ lotId: a.id, amount: 50n }],
    };
    expect(decide(book, releaseRule(hold, 9n), locked)).toEqual({ kind: 'accept' });
    expect(book.postings()).toHaveLength(0);
    expect(book.view(ref('alice'))).toMatchObject({ balance: 60n, available: 60n });
  });
});
