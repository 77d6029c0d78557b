import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { AmountScalar } from '../../shared/money';
import { Transaction, TransactionKind } from '../ledger/ledger.types';
import { Wallet } from '../wallet/wallet.types';

@InputType({ description: 'v2' })
export class UserTransferInput {
  @Field(() => ID)
  fromUserId!: string;

  @Field(() => ID, { description: 'Must differ from fromUserId.' })
  toUserId!: string;

  @Field(() => ID)
  asset!: string;

  @Field(() => AmountScalar)
  amount!: bigint;

  @Field()
  idempotencyKey!: string;

  @Field(() => String, { nullable: true })
  reference?: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  metadata?: unknown;
}

@ObjectType({ description: 'v2' })
export class UserTransferPayload {
  @Field(() => Transaction, {
    description: 'userId is the sender, counterpartyUserId the recipient.',
  })
  transaction!: Transaction;

  @Field(() => Wallet, { description: "The sender's wallet after the transfer." })
  from!: Wallet;

  @Field(() => Wallet, { description: "The recipient's wallet after the transfer." })
  to!: Wallet;

  @Field()
  replayed!: boolean;
}

@InputType({ description: 'v2' })
export class ChangesetLegInput {
  @Field(() => ID)
  userId!: string;

  @Field(() => ID)
  asset!: string;

  @Field(() => TransactionKind, {
    description: 'TOPUP, BONUS or SPEND; any other kind is BAD_USER_INPUT.',
  })
  kind!: TransactionKind;

  @Field(() => AmountScalar)
  amount!: bigint;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Credit legs only.' })
  expiresAt?: Date | null;
}

@InputType({ description: 'v2' })
export class ChangesetInput {
  @Field(() => [ChangesetLegInput], { description: '1..20 legs.' })
  legs!: ChangesetLegInput[];

  @Field()
  idempotencyKey!: string;

  @Field(() => String, { nullable: true })
  reference?: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  metadata?: unknown;
}

@ObjectType({ description: 'v2' })
export class ChangesetPayload {
  @Field(() => ID)
  changesetId!: string;

  @Field(() => [Transaction], { description: 'One transaction per leg, in the order of the legs.' })
  transactions!: Transaction[];

  @Field(() => [Wallet], {
    description: 'Every wallet the changeset touched, after it, ordered by userId then asset code.',
  })
  wallets!: Wallet[];

  @Field()
  replayed!: boolean;
}
