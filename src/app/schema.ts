import 'reflect-metadata';
import { GraphQLSchema, isSpecifiedScalarType, printSchema } from 'graphql';
import { buildSchemaSync, getMetadataStorage } from 'type-graphql';
import { AssetResolver } from '../modules/assets/asset.resolver';
import { HoldResolver, TransactionHoldResolver } from '../modules/holds/holds.resolver';
import { LedgerEntryResolver, TransactionResolver } from '../modules/ledger/ledger.resolver';
import { ReversalResolver } from '../modules/reversals/reversal.resolver';
import { CreditLotResolver, WalletResolver } from '../modules/wallet/wallet.resolver';
import { TransferResolver } from '../modules/transfers/transfer.resolver';
import {
  BalanceChangeResolver,
  unusedPubSub,
} from '../modules/subscriptions/subscription.resolver';
import { EventResolver } from '../modules/events/events.resolver';
import { WebhookResolver } from '../modules/webhooks/webhooks.resolver';
import { NodeResolver } from '../modules/node/node.resolver';

let cached: GraphQLSchema | undefined;

/** The executable schema, built once per process from the modules' resolvers. */
export function buildGatewaySchema(): GraphQLSchema {
  if (!cached) argumentsAsDeclared();
  cached ??= buildSchemaSync({
    resolvers: [
      AssetResolver,
      WalletResolver,
      CreditLotResolver,
      TransactionResolver,
      LedgerEntryResolver,
      HoldResolver,
      TransactionHoldResolver,
      ReversalResolver,
      TransferResolver,
      BalanceChangeResolver,
      EventResolver,
      WebhookResolver,
      NodeResolver,
    ],
    // Subscriptions bring their own event source (the ledger); see unusedPubSub.
    pubSub: unusedPubSub,
    // Input rules live in the services, where they are shared with every transport.
    validate: false,
  });
  return cached;
}

/** The SDL checked in as schema.graphql and held against the public contract. */
export function printGatewaySchema(): string {
  return `${printSchema(inReadingOrder(buildGatewaySchema()))}\n`;
}

/**
 * TypeScript applies parameter decorators last parameter first, so type-graphql records (and
 * would emit) a resolver's arguments reversed: `balance(at, asset, userId)`. Its resolvers call
 * methods by each parameter's index, so ordering the records by index changes only the order
 * the schema lists them in: as the method declares them, like the contract.
 */
function argumentsAsDeclared(): void {
  getMetadataStorage().params.sort((a, b) => a.index - b.index);
}

/**
 * The order schema.graphql is printed in, so that a diff shows what changed and a reader finds
 * a type without searching: the root types Query, Mutation, Subscription first, then every other
 * type by name. Fields, enum values and arguments stay as declared in the code.
 */
function inReadingOrder(schema: GraphQLSchema): GraphQLSchema {
  const roots = [
    schema.getQueryType(),
    schema.getMutationType(),
    schema.getSubscriptionType(),
  ].flatMap((t) => (t ? [t] : []));
  const others = Object.values(schema.getTypeMap())
    .filter(
      (t) => !t.name.startsWith('__') && !isSpecifiedScalarType(t) && !roots.includes(t as never),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return new GraphQLSchema({ ...schema.toConfig(), types: [...roots, ...others] });
}
