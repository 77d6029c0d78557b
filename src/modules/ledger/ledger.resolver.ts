import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import type { LedgerContext } from './ledger.context';
import { requireAsset } from '../assets/asset.fields';
import { Asset } from '../assets/asset.types';
import { visibleEntries } from './ledger.service';
import { LedgerConnection, LedgerEntry, Transaction, TransactionKind } from './ledger.types';

@Resolver(() => Transaction)
export class TransactionResolver {
  @Query(() => Transaction, { nullable: true })
  transaction(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: LedgerContext,
  ): Promise<Transaction | null> {
    return ctx.services.ledger.transaction(ctx.principal, id);
  }

  @Query(() => LedgerConnection, { description: 'Newest first; first is capped (at most 500).' })
  ledger(
    @Arg('userId', () => ID) userId: string,
    @Arg('asset', () => ID, { nullable: true }) asset: string | null,
    @Arg('kinds', () => [TransactionKind], { nullable: true }) kinds: TransactionKind[] | null,
    @Arg('since', () => GraphQLDateTime, { nullable: true }) since: Date | null,
    @Arg('until', () => GraphQLDateTime, { nullable: true }) until: Date | null,
    @Arg('reference', () => String, { nullable: true }) reference: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: LedgerContext,
  ): Promise<LedgerConnection> {
    return ctx.services.ledger.ledger(ctx.principal, {
      userId,
      asset,
      kinds,
      since,
      until,
      reference,
      first,
      after,
    });
  }

  @FieldResolver(() => Asset)
  asset(@Root() transaction: Transaction, @Ctx() ctx: LedgerContext): Promise<Asset> {
    return requireAsset(ctx, transaction.assetCode);
  }

  @FieldResolver(() => [LedgerEntry], {
    description: 'The double-entry postings of this transaction; their signed sum is zero.',
  })
  async entries(
    @Root() transaction: Transaction,
    @Ctx() ctx: LedgerContext,
  ): Promise<LedgerEntry[]> {
    return visibleEntries(
      ctx.principal,
      await ctx.loaders.entriesByTransactionId.load(transaction.id),
    );
  }

  @FieldResolver(() => Transaction, {
    nullable: true,
    description: 'For a REVERSAL: the transaction it undoes.',
  })
  reverses(
    @Root() transaction: Transaction,
    @Ctx() ctx: LedgerContext,
  ): Promise<Transaction | null> {
    return transaction.reversesId
      ? ctx.loaders.transactionById.load(transaction.reversesId)
      : Promise.resolve(null);
  }

  @FieldResolver(() => Transaction, {
    nullable: true,
    description:
      'The REVERSAL that undid this transaction, if any (a transaction is reversed at most once).',
  })
  async reversedBy(
    @Root() transaction: Transaction,
    @Ctx() ctx: LedgerContext,
  ): Promise<Transaction | null> {
    const reversalId = await ctx.loaders.reversalIdByTransactionId.load(transaction.id);
    return reversalId ? ctx.loaders.transactionById.load(reversalId) : null;
  }
}

@Resolver(() => LedgerEntry)
export class LedgerEntryResolver {
  @FieldResolver(() => Asset)
  asset(@Root() entry: LedgerEntry, @Ctx() ctx: LedgerContext): Promise<Asset> {
    return requireAsset(ctx, entry.assetCode);
  }

  @FieldResolver(() => Transaction)
  async transaction(@Root() entry: LedgerEntry, @Ctx() ctx: LedgerContext): Promise<Transaction> {
    const transaction = await ctx.loaders.transactionById.load(entry.transactionId);
    if (!transaction)
      throw new Error(
        `invariant: transaction ${entry.transactionId} of entry ${entry.id} is missing`,
      );
    return transaction;
  }
}
