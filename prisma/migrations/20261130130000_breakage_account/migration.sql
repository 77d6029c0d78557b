-- The system account that expired credit goes to (EXPIRY: user -> breakage). Its own migration:
-- an enum value cannot be used in the transaction that added it.
ALTER TYPE "account_kind" ADD VALUE IF NOT EXISTS 'BREAKAGE';
