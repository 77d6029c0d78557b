-- Request budgets for rate limiting per credential subject when RATE_LIMIT_STORE=postgres, so
-- that every replica counts against the same budget. rate-limiter-flexible's PostgreSQL store
-- reads and writes this table (one row per key and window, `expire` in epoch milliseconds); it is
-- created here rather than by the library at run time so that the gateway's database role needs
-- no CREATE privilege. Expired rows are deleted by the library every few minutes.
CREATE TABLE "rate_limits" (
    "key" TEXT NOT NULL,
    "points" INTEGER NOT NULL DEFAULT 0,
    "expire" BIGINT,

    CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("key")
);
