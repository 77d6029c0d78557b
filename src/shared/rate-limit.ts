import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Config } from './config';
import type { Principal } from './auth/principal';
import { AppError, ErrorCode, isDatabaseUnavailable, serviceUnavailable } from './errors';

/**
 * Request budgets per credential subject, with rate-limiter-flexible: a fixed window of
 * RATE_LIMIT_DURATION_SECONDS in which one subject may make RATE_LIMIT_POINTS requests
 * (RATE_LIMIT_PLAYER_POINTS for players, whose clients are browsers and need far fewer). Each
 * GraphQL request over HTTP and each subscribe over a websocket costs one point, charged before
 * anything runs, so a refused request writes nothing.
 *
 * In memory by default (each replica counts on its own); with RATE_LIMIT_STORE=postgres every
 * replica counts in the rate_limits table, so the budget holds across the fleet.
 */
export interface RateLimiter {
  /** Charges one request to the principal; RATE_LIMITED (with retryAfterSeconds) when over budget. */
  consume(principal: Principal): Promise<void>;
}

export function rateLimited(retryAfterSeconds: number): AppError {
  return new AppError(
    ErrorCode.RATE_LIMITED,
    `Too many requests for this credential; retry in ${retryAfterSeconds} s.`,
    { retryAfterSeconds },
  );
}

export function createRateLimiter(
  config: Pick<
    Config,
    | 'RATE_LIMIT_STORE'
    | 'RATE_LIMIT_POINTS'
    | 'RATE_LIMIT_PLAYER_POINTS'
    | 'RATE_LIMIT_DURATION_SECONDS'
  >,
  pool: pg.Pool,
): RateLimiter {
  const build = (keyPrefix: string, points: number): RateLimiterAbstract => {
    const options = { keyPrefix, points, duration: config.RATE_LIMIT_DURATION_SECONDS };
    if (config.RATE_LIMIT_STORE === 'postgres') {
      // The table comes from a migration (prisma/migrations/*_rate_limits), not from the library.
      return new RateLimiterPostgres({
        ...options,
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
      });
    }
    return new RateLimiterMemory(options);
  };
  const players = build('player', config.RATE_LIMIT_PLAYER_POINTS);
  const clients = build('client', config.RATE_LIMIT_POINTS);

  return {
    async consume(principal) {
      const limiter = principal.role === 'player' ? players : clients;
      try {
        await limiter.consume(`${principal.role}:${principal.subject}`, 1);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes)
          throw rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        if (isDatabaseUnavailable(rejection)) throw serviceUnavailable();
        throw rejection;
      }
    },
  };
}
