import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { AssetResolver } from './modules/assets/asset.resolver';
import { HoldResolver, TransactionHoldResolver } from './modules/holds/holds.resolver';
import { LedgerEntryResolver, TransactionResolver } from './modules/ledger/ledger.resolver';
import { ReversalResolver } from './modules/ledger/reversal.resolver';
import { WalletResolver } from './modules/wallet/wallet.resolver';
import { TransferResolver } from './modules/transfers/transfer.resolver';
import { BalanceChangeResolver, unusedPubSub } from './modules/subscriptions/subscription.resolver';
import { EventResolver } from './modules/events/events.resolver';
import { WebhookResolver } from './modules/webhooks/webhooks.resolver';

let cached: GraphQLSchema | undefined;

/** The executable schema, built once per process from the modules' resolvers. */
export function buildGatewaySchema(): GraphQLSchema {
  cached ??= buildSchemaSync({
    resolvers: [AssetResolver, WalletResolver, TransactionResolver, LedgerEntryResolver, HoldResolver, TransactionHoldResolver, ReversalResolver, TransferResolver, BalanceChangeResolver, EventResolver, WebhookResolver],
    // Subscriptions bring their own event source (the ledger); see unusedPubSub.
    pubSub: unusedPubSub,
    // Input rules live in the services, where they are shared with every transport.
    validate: false,
  });
  return cached;
}

/** The SDL checked in as schema.graphql and held against the public contract. */
export function printGatewaySchema(): string {
  return `${printSchema(buildGatewaySchema())}\n`;
}
