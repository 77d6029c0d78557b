// Proves the refusal mapping: a refusal code recorded against an idempotency key replays as the same contract error, with the same message every time, and an unknown recorded code is a bug that throws.
import { AppError, ErrorCode, refusalError } from '../../src/shared/errors';

describe('refusalError', () => {
  it.each([ErrorCode.INSUFFICIENT_FUNDS, ErrorCode.HOLD_NOT_ACTIVE, ErrorCode.ALREADY_REVERSED])('replays %s as an AppError with that contract code', (code) => {
    const first = refusalError(code);
    expect(first).toBeInstanceOf(AppError);
    expect(first.code).toBe(code);
    expect(first.extensions.code).toBe(code);
    expect(first.message.length).toBeGreaterThan(0);
    // A replayed refusal reads exactly like the first one.
    expect(refusalError(code).message).toBe(first.message);
  });

  it('gives each refusal its own message', () => {
    const messages = [ErrorCode.INSUFFICIENT_FUNDS, ErrorCode.HOLD_NOT_ACTIVE, ErrorCode.ALREADY_REVERSED].map((code) => refusalError(code).message);
    expect(new Set(messages).size).toBe(messages.length);
  });

  it.each([ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND, ErrorCode.INTERNAL_SERVER_ERROR, 'SOMETHING_ELSE', ''])(
    'throws for %p, which is never recorded as a refusal',
    (code) => {
      expect(() => refusalError(code)).toThrow(/unknown refusal code/);
    },
  );
});
