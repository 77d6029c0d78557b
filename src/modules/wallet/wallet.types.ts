import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { AmountScalar } from '../../shared/money';
import { Transaction } from '../ledger/ledger.types';

@ObjectType()
export class Wallet {
  @Field(() => ID)
  userId!: string;

  assetCode!: string;

  @Field(() => AmountScalar, { description: 'Everything the user owns of this asset, held funds included.' })
  balance!: bigint;

  @Field(() => AmountScalar, { description: 'balance minus active holds: what a spend or a new hold may use.' })
  available!: bigint;

  @Field(() => AmountScalar, { description: 'The sequence of the wallet\'s latest ledger entry (0 before the first); resume subscriptions after it.' })
  lastSequence!: bigint;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
}

@ObjectType()
export class TransferPayload {
  @Field(() => Transaction)
  transaction!: Transaction;

  @Field(() => Wallet, { description: 'The user\'s wallet after the transaction.' })
  wallet!: Wallet;

  @Field({ description: 'True when this answer replays an earlier request with the same idempotency key.' })
  replayed!: boolean;
}

/**
 * The fields every wallet mutation that names a wallet shares: topup, bonus, spend and hold (not
 * itself part of the schema).
 */
@InputType()
export abstract class WalletRequestInputBase {
  @Field(() => ID)
  userId!: string;

  @Field(() => ID)
  asset!: string;

  @Field(() => AmountScalar)
  amount!: bigint;

  @Field({ description: '1..255 characters, unique per request the caller means to apply once.' })
  idempotencyKey!: string;
}

/** The fields shared by topup, bonus and spend (not itself part of the schema). */
@InputType()
abstract class TransferInputBase extends WalletRequestInputBase {
  @Field(() => String, { nullable: true })
  reference?: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  metadata?: unknown;
}

@InputType()
export class TopupInput extends TransferInputBase {}

@InputType()
export class BonusInput extends TransferInputBase {}

@InputType()
export class SpendInput extends TransferInputBase {}

export type TransferInput = TransferInputBase;
