import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { logger } from './logger';

/**
 * The error catalogue: every code of the public contract (../shared/api/wallet.graphql's header,
 * served as schema.graphql), plus the generic one, each with the reason a client reads. No other
 * file invents a code.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  HOLD_NOT_ACTIVE: 'HOLD_NOT_ACTIVE',
  ALREADY_REVERSED: 'ALREADY_REVERSED',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  WALLET_FROZEN: 'WALLET_FROZEN',
  /** A player's operation outside the trusted documents (TRUSTED_DOCUMENTS_MANIFEST). */
  OPERATION_NOT_TRUSTED: 'OPERATION_NOT_TRUSTED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Business refusals: decided inside a money transaction under the wallets' locks, recorded as the
 * idempotency key's one outcome and replayed to every retry of that key.
 */
export type RefusalCode =
  | typeof ErrorCode.INSUFFICIENT_FUNDS
  | typeof ErrorCode.HOLD_NOT_ACTIVE
  | typeof ErrorCode.ALREADY_REVERSED
  | typeof ErrorCode.LIMIT_EXCEEDED
  | typeof ErrorCode.WALLET_FROZEN;

/** The reason each refusal reads with, so that a replayed refusal reads exactly like the first. */
const refusalReasons: Record<RefusalCode, string> = {
  INSUFFICIENT_FUNDS: "The wallet's available balance is below the amount.",
  HOLD_NOT_ACTIVE: 'The hold is no longer active.',
  ALREADY_REVERSED: 'The transaction was reversed before.',
  LIMIT_EXCEEDED: 'An asset limit would be broken.',
  WALLET_FROZEN: 'The wallet is frozen for this operation.',
};

export function isRefusalCode(code: string): code is RefusalCode {
  return Object.prototype.hasOwnProperty.call(refusalReasons, code);
}

/**
 * What a refusal may add to its extensions: the refused leg of a changeset (`leg`), the limit
 * that was hit (`limit`, `max`, `remaining`). Stored with the key's outcome, so a replay repeats it.
 */
export type RefusalDetail = Record<string, string | number | null>;

/** The error a refusal reaches the client as, first time and on every replay alike. */
export function refusalError(code: RefusalCode, detail: RefusalDetail = {}): AppError {
  return new AppError(code, refusalReasons[code], detail);
}

const contractCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** An error a client can act on: it always carries one of the contract's codes. */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.code = code;
  }
}

export const badUserInput = (message: string, field?: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const notFound = (message: string) => new AppError(ErrorCode.NOT_FOUND, message);
export const serviceUnavailable = () =>
  new AppError(
    ErrorCode.SERVICE_UNAVAILABLE,
    'The database cannot be reached right now; retry later.',
  );

// Error codes and messages that mean the database is out of reach, as pg, the Prisma adapter and
// Node's sockets report them. PostgreSQL's class 08 is "connection exception"; 57P01-57P03 are
// administrator shutdown, crash shutdown and "cannot connect now" (starting up or shutting down).
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'P1001',
  'P1002',
  'P1017',
  'P2028',
]);
const unavailableMessages = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Unable to start a transaction in the given time',
  'Client has encountered a connection error',
  'Connection refused',
  'the database system is',
  'terminating connection',
  'DatabaseNotReachable',
  'Transaction already closed',
  'connect ECONNREFUSED',
  'ConnectionClosed',
  'SocketTimeout',
  "Can't reach database server",
];

/** True when the error, or anything in its cause chain, says the database cannot be reached. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth += 1) {
    const candidate = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    const code = typeof candidate.code === 'string' ? candidate.code : undefined;
    if (code && (unavailableCodes.has(code) || code.startsWith('08'))) return true;
    if (
      typeof candidate.originalCode === 'string' &&
      (unavailableCodes.has(candidate.originalCode) || candidate.originalCode.startsWith('08'))
    )
      return true;
    if (
      typeof candidate.kind === 'string' &&
      [
        'DatabaseNotReachable',
        'ConnectionClosed',
        'SocketTimeout',
        'TransactionAlreadyClosed',
        'TooManyConnections',
      ].includes(candidate.kind)
    )
      return true;
    const message = typeof candidate.message === 'string' ? candidate.message : '';
    if (unavailableMessages.some((fragment) => message.includes(fragment))) return true;
    // Prisma's PrismaClientKnownRequestError (P2010 for a raw query) carries the adapter's error
    // in meta.driverAdapterError rather than in `cause`: an outage seen by a plain read (no
    // transaction) arrives that way, as the database-outage reliability test found.
    current = candidate.meta?.driverAdapterError ?? candidate.cause;
  }
  return false;
}

/** The PostgreSQL SQLSTATE of an error, looked up through Prisma's and the adapter's wrappers. */
export function sqlState(error: unknown): string | undefined {
  // Prisma's own codes (P1xxx..P6xxx) have the shape of a SQLSTATE too; skip them and keep looking.
  const isSqlState = (value: unknown): value is string =>
    typeof value === 'string' && /^[0-9A-Z]{5}$/.test(value) && !/^P[1-9][0-9]{3}$/.test(value);
  let current: unknown = error;
  for (let depth = 0; current && depth < 8; depth += 1) {
    const candidate = current as {
      code?: unknown;
      originalCode?: unknown;
      cause?: unknown;
      meta?: { code?: unknown; driverAdapterError?: unknown };
    };
    if (isSqlState(candidate.originalCode)) return candidate.originalCode;
    if (isSqlState(candidate.code)) return candidate.code;
    if (candidate.meta && isSqlState(candidate.meta.code)) return candidate.meta.code;
    current = candidate.meta?.driverAdapterError ?? candidate.cause;
  }
  return undefined;
}

/** Validation and parse failures are malformed input from the client's point of view. */
const clientErrorCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Shapes every error that leaves the server. Contract errors pass through; GraphQL's own
 * validation errors become BAD_USER_INPUT (the original code kept as `reason`); a database
 * outage becomes SERVICE_UNAVAILABLE; anything else is logged in full and reaches the client
 * only as a generic internal error, with no SQL, stack or table names.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    // `http` tells Apollo which status to answer with (401, 429); it is not for the client's body.
    const { http: _http, ...extensions } = original.extensions;
    return {
      message: original.message,
      path: formatted.path,
      locations: formatted.locations,
      extensions,
    };
  }
  const code = formatted.extensions?.code;
  const isResolverFault = original !== error || !(original instanceof GraphQLError);
  if (!isResolverFault && typeof code === 'string') {
    const shaped = formatCodedGraphqlError(formatted, code);
    if (shaped) return shaped;
  }
  if (
    original instanceof GraphQLError &&
    !isResolverFault &&
    original.extensions?.code === undefined &&
    !original.originalError
  ) {
    // A GraphQL execution error with no code (for example a variable that could not be coerced).
    return {
      message: formatted.message,
      locations: formatted.locations,
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    };
  }
  if (isDatabaseUnavailable(original)) {
    logger.warn({ err: original }, 'database unavailable');
    return {
      message: serviceUnavailable().message,
      path: formatted.path,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    };
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected error');
  return {
    message: 'Internal server error',
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/** A GraphQL error of the server's own with a code: a request error, or a contract code kept. */
function formatCodedGraphqlError(
  formatted: GraphQLFormattedError,
  code: string,
): GraphQLFormattedError | undefined {
  // A request limit (src/shared/graphql-limits.ts) names itself in `reason` and `limit`.
  // The parser's token limit (parseOptions.maxTokens) surfaces as a plain syntax error; name it.
  // (graphql 16 spells it "more that"; both spellings are matched.)
  const tooManyTokens =
    code === 'GRAPHQL_PARSE_FAILED'
      ? /Document contains more th(?:an|at) (\d+) tokens/.exec(formatted.message)
      : null;
  const limit =
    typeof formatted.extensions?.limit === 'number'
      ? { limit: formatted.extensions.limit }
      : tooManyTokens
        ? { limit: Number(tooManyTokens[1]) }
        : {};
  const ownReason =
    typeof formatted.extensions?.reason === 'string'
      ? formatted.extensions.reason
      : tooManyTokens
        ? 'QUERY_TOO_LARGE'
        : undefined;
  if (clientErrorCodes.has(code)) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      extensions: { code: ErrorCode.BAD_USER_INPUT, reason: ownReason ?? code, ...limit },
    };
  }
  if (contractCodes.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code, ...(ownReason ? { reason: ownReason } : {}), ...limit },
    };
  }
  return undefined;
}
