// Proves request fingerprints are stable across key order and distinguish every field that changes the outcome.
import { hashRequest, replayPrior } from '../../src/shared/idempotency';

describe('hashRequest', () => {
  const base = {
    userId: 'alice',
    asset: 'GOLD_COINS',
    amount: 10n,
    reference: null,
    metadata: { a: 1, b: { c: [1, 2] } },
  };

  it('is independent of object key order', () => {
    expect(hashRequest('topup', base)).toBe(
      hashRequest('topup', {
        metadata: { b: { c: [1, 2] }, a: 1 },
        reference: null,
        amount: 10n,
        asset: 'GOLD_COINS',
        userId: 'alice',
      }),
    );
  });

  it.each([
    ['operation', () => hashRequest('bonus', base)],
    ['amount', () => hashRequest('topup', { ...base, amount: 11n })],
    ['user', () => hashRequest('topup', { ...base, userId: 'bob' })],
    ['reference', () => hashRequest('topup', { ...base, reference: 'x' })],
    ['metadata', () => hashRequest('topup', { ...base, metadata: { a: 2 } })],
    ['array order', () => hashRequest('topup', { ...base, metadata: { a: 1, b: { c: [2, 1] } } })],
  ])('changes with %s', (_name, other) => {
    expect(other()).not.toBe(hashRequest('topup', base));
  });
});

describe('replayPrior', () => {
  const scope = { clientId: 'c', idempotencyKey: 'k', operation: 'spend', requestHash: 'h' };
  it('replays a success, repeats a refusal, refuses a different request', () => {
    expect(
      replayPrior(scope, {
        operation: 'spend',
        requestHash: 'h',
        outcome: 'SUCCEEDED',
        errorCode: null,
        transactionId: 7n,
        holdId: null,
      }),
    ).toEqual({ transactionId: 7n, holdId: null });
    expect(() =>
      replayPrior(scope, {
        operation: 'spend',
        requestHash: 'h',
        outcome: 'REFUSED',
        errorCode: 'INSUFFICIENT_FUNDS',
        transactionId: null,
        holdId: null,
      }),
    ).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_FUNDS' }));
    expect(() =>
      replayPrior(scope, {
        operation: 'spend',
        requestHash: 'other',
        outcome: 'SUCCEEDED',
        errorCode: null,
        transactionId: 7n,
        holdId: null,
      }),
    ).toThrow(expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' }));
    expect(() =>
      replayPrior(scope, {
        operation: 'topup',
        requestHash: 'h',
        outcome: 'SUCCEEDED',
        errorCode: null,
        transactionId: 7n,
        holdId: null,
      }),
    ).toThrow(expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' }));
  });
});
