// Proves the lots' expiry as a pure rule on an in-memory book: one EXPIRY per decision to breakage, never what a hold reserves, and a skip when nothing has expired, without a database.
import { AccountKind, TransactionKind } from '../../../src/money/enums';
import { expiryKey, expiryRule } from '../../../src/modules/lots/expiry.rules';
import { bookOf, decide, lot, now, ref, wallet } from './book-fixture';

const past = new Date(now.getTime() - 60_000);
const due = (id: bigint) => ({ id, userId: 'alice', assetCode: 'GOLD', lastSequence: 3n });

describe('expiry rule', () => {
  it("posts one EXPIRY of an expired lot's unreserved remainder to breakage", () => {
    const first = lot(30n, undefined, past);
    const second = lot(20n, undefined, past);
    const book = bookOf([
      wallet('alice', [first, second], { reserved: new Map([[first.id, 10n]]), held: 10n }),
    ]);
    expect(decide(book, expiryRule(due(1n), 0))).toEqual({ kind: 'accept' });
    expect(book.postings()).toHaveLength(1);
    const [posted] = book.postings();
    expect(posted!.posting).toMatchObject({
      kind: TransactionKind.EXPIRY,
      amount: 20n,
      reference: `lot:${first.id}`,
    });
    expect(posted!.posting.legs[1]!.account).toBe(AccountKind.BREAKAGE);
    expect(book.find(ref('alice'))!.balance).toBe(30n);
  });

  it('skips a wallet with nothing expired, and one that is gone', () => {
    expect(decide(bookOf([wallet('alice', [lot(5n)])]), expiryRule(due(1n), 0))).toEqual({
      kind: 'skip',
    });
    expect(decide(bookOf([]), expiryRule(due(1n), 0))).toEqual({ kind: 'skip' });
  });

  it('keys each step by the wallet and the sequence it was found at', () => {
    expect(expiryKey(due(4n), 2)).toBe('expiry:4:3:2');
  });
});
