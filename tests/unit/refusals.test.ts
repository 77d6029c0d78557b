// Proves the refusal mapping: a refusal code recorded against an idempotency key replays as the same contract error, with the same message and details every time, and an unknown recorded code is a bug that throws.
import {
  AppError,
  ErrorCode,
  isRefusalCode,
  refusalError,
  type RefusalCode,
} from '../../src/shared/errors';
import { replayPrior } from '../../src/shared/idempotency';

const refusals: RefusalCode[] = [
  ErrorCode.INSUFFICIENT_FUNDS,
  ErrorCode.HOLD_NOT_ACTIVE,
  ErrorCode.ALREADY_REVERSED,
  ErrorCode.LIMIT_EXCEEDED,
  ErrorCode.WALLET_FROZEN,
];

describe('refusalError', () => {
  it.each(refusals)('replays %s as an AppError with that contract code', (code) => {
    const first = refusalError(code);
    expect(first).toBeInstanceOf(AppError);
    expect(first.code).toBe(code);
    expect(first.extensions.code).toBe(code);
    expect(first.message.length).toBeGreaterThan(0);
    // A replayed refusal reads exactly like the first one.
    expect(refusalError(code).message).toBe(first.message);
  });

  it('gives each refusal its own message, and carries its details', () => {
    const messages = refusals.map((code) => refusalError(code).message);
    expect(new Set(messages).size).toBe(messages.length);
    expect(
      refusalError(ErrorCode.LIMIT_EXCEEDED, { limit: 'balanceMax', max: '100', remaining: '20' })
        .extensions,
    ).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'balanceMax', max: '100', remaining: '20' });
  });

  it.each([
    ErrorCode.BAD_USER_INPUT,
    ErrorCode.NOT_FOUND,
    ErrorCode.INTERNAL_SERVER_ERROR,
    'SOMETHING_ELSE',
    '',
  ])('throws for %p, which is never recorded as a refusal', (code) => {
    expect(isRefusalCode(code)).toBe(false);
    const prior = {
      operation: 'spend',
      requestHash: 'h',
      outcome: 'REFUSED' as const,
      errorCode: code,
      transactionId: null,
      holdId: null,
    };
    expect(() => replayPrior({ operation: 'spend', requestHash: 'h' }, prior)).toThrow(
      /unknown recorded refusal/,
    );
  });
});
