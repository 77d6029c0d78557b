// The GraphQL documents the tests send, in one place: the typed client's generated operations where a test needs no narrower selection, and builders for the ones whose exact selection a test asserts on.
import { print } from 'graphql';
import {
  AssetsDocument,
  BalanceDocument,
  BalancesDocument,
  BonusDocument,
  CaptureHoldDocument,
  HoldDocument,
  LedgerDocument,
  PlaceHoldDocument,
  ReleaseHoldDocument,
  ReverseDocument,
  SpendDocument,
  TopupDocument,
  TransactionDocument,
} from '../../src/client/generated/graphql';

/**
 * The typed client's operations (src/client/operations, one .graphql file each) as text, for raw
 * HTTP requests: tests that only look at a few fields or at the error send exactly what a game
 * server using the client sends.
 */
export const operations = {
  assets: print(AssetsDocument),
  balance: print(BalanceDocument),
  balances: print(BalancesDocument),
  ledger: print(LedgerDocument),
  transaction: print(TransactionDocument),
  hold: print(HoldDocument),
  topup: print(TopupDocument),
  bonus: print(BonusDocument),
  spend: print(SpendDocument),
  placeHold: print(PlaceHoldDocument),
  captureHold: print(CaptureHoldDocument),
  releaseHold: print(ReleaseHoldDocument),
  reverse: print(ReverseDocument),
} as const;

/** The mutations that take one `input` argument, with their input type. */
const inputTypes = {
  topup: 'TopupInput',
  bonus: 'BonusInput',
  spend: 'SpendInput',
  hold: 'HoldInput',
  captureHold: 'CaptureHoldInput',
  reverse: 'ReverseInput',
} as const;

/**
 * `mutation($input: TopupInput!) { topup(input: $input) { <selection> } }` and its kin: for tests
 * whose assertions compare the whole payload, so that it holds exactly the fields they name.
 */
export function inputMutation(name: keyof typeof inputTypes, selection: string): string {
  return `mutation($input: ${inputTypes[name]}!) { ${name}(input: $input) { ${selection} } }`;
}

/** balanceChanged with every variable the tests use, and the fields they compare. */
export const BALANCE_CHANGED = `subscription($userId: ID!, $asset: ID, $after: Amount) {
  balanceChanged(userId: $userId, asset: $asset, afterSequence: $after) {
    wallet { userId balance available lastSequence updatedAt asset { code } }
    entry { id sequence userId direction amount balanceAfter kind createdAt asset { code } transaction { id kind amount idempotencyKey } }
  }
}`;
