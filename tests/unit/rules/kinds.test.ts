// Proves the kinds table covers every transaction kind and says what the rules read from it: accounts, lot origins, reversibility, changeset legs, daily counters and the invariants' shape.
import {
  AccountKind,
  CreditOrigin,
  EntryDirection,
  TransactionKind,
} from '../../../src/money/enums';
import { kinds, kindsWhere } from '../../../src/money/kinds';

describe('kinds table', () => {
  it('has one row per TransactionKind', () => {
    expect(Object.keys(kinds).sort()).toEqual(Object.values(TransactionKind).sort());
  });

  it('names the plain kinds, the reversible ones and the changeset legs', () => {
    expect(kindsWhere((k) => k.changesetLeg)).toEqual(['TOPUP', 'BONUS', 'SPEND']);
    expect(kindsWhere((k) => k.reversal !== null)).toEqual(['TOPUP', 'BONUS', 'SPEND', 'CAPTURE']);
    expect(kindsWhere((k) => k.reversal?.partial === true)).toEqual(['TOPUP', 'BONUS']);
    expect(kinds.TOPUP).toMatchObject({
      account: AccountKind.TREASURY,
      lotOrigin: CreditOrigin.PAID,
    });
    expect(kinds.EXPIRY).toMatchObject({
      account: AccountKind.BREAKAGE,
      userDirection: EntryDirection.DEBIT,
    });
  });

  it('feeds the daily counters from BONUS credits and TRANSFER debits; a TRANSFER posts two user entries', () => {
    expect(kindsWhere((k) => k.counters.length > 0)).toEqual(['BONUS', 'TRANSFER']);
    expect(kinds.BONUS.counters).toEqual([{ counter: 'bonus', direction: EntryDirection.CREDIT }]);
    expect(kinds.TRANSFER.counters).toEqual([
      { counter: 'transferOut', direction: EntryDirection.DEBIT },
    ]);
    expect(kindsWhere((k) => k.userEntries === 2)).toEqual(['TRANSFER']);
  });
});
