-- v2 transaction kinds. Kept apart from the migration that uses them: PostgreSQL refuses to use an
-- enum value in the same transaction that added it, and each migration runs in one transaction.
ALTER TYPE "transaction_kind" ADD VALUE IF NOT EXISTS 'TRANSFER';
ALTER TYPE "transaction_kind" ADD VALUE IF NOT EXISTS 'EXPIRY';
