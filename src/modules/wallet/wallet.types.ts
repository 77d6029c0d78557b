import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { CreditOrigin, WalletStatus } from '../../money/enums';
import { AmountScalar } from '../../shared/money';
import { Transaction } from '../ledger/ledger.types';
import { Node } from '../node.types';

export { CreditOrigin, WalletStatus };

registerEnumType(CreditOrigin, { name: 'CreditOrigin', description: 'v2' });

registerEnumType(WalletStatus, { name: 'WalletStatus', description: 'v2' });

@ObjectType({ implements: Node, description: 'v2: a credit lot that has not expired.' })
export class CreditLot {
  @Field(() => ID, { description: 'v3' })
  id?: string;

  /** The lot's row id; CreditLotResolver.id makes the opaque node id of it. */
  lotId!: bigint;

  @Field(() => CreditOrigin)
  origin!: CreditOrigin;

  @Field(() => AmountScalar, { description: 'What is left of the lot, reserved amounts included.' })
  amount!: bigint;

  @Field(() => GraphQLDateTime, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ implements: Node })
export class Wallet {
  @Field(() => ID, {
    description: 'v3: the same for every answer about this wallet; a reading with at has its own.',
  })
  id?: string;

  /** Set on a reading as of an instant (balance with at): its id is its own (WalletResolver.id). */
  readingAt?: Date;

  @Field(() => ID)
  userId!: string;

  assetCode!: string;

  @Field(() => AmountScalar, {
    description: 'Everything the user owns of this asset, held funds included.',
  })
  balance!: bigint;

  @Field(() => AmountScalar, {
    description: 'balance minus active holds: what a spend or a new hold may use.',
  })
  available!: bigint;

  @Field(() => AmountScalar, {
    description:
      "The sequence of the wallet's latest ledger entry (0 before the first); resume subscriptions after it.",
  })
  lastSequence!: bigint;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;

  @Field(() => AmountScalar, {
    description: 'v2: the part of balance that came from PAID credits.',
  })
  paid!: bigint;

  @Field(() => AmountScalar, {
    description: 'v2: the part of balance that came from FREE credits.',
  })
  free!: bigint;

  @Field(() => [CreditLot], {
    description:
      'v2: lots with an expiry that have not expired, soonest first, at most 20 (always as of now).',
  })
  /**
   * Left undefined where the wallet is a past state (a change delivered to a subscription, a feed
   * event, a balance at an instant): WalletResolver.expiring then reads the lots as of now, as the
   * contract says this field always is.
   */
  expiring?: CreditLot[];

  @Field(() => WalletStatus, { description: 'v2' })
  status!: WalletStatus;
}

/** What topup, bonus, spend, captureHold and reverse answer (TransferPayload in the contract). */
@ObjectType('TransferPayload')
export class MovementPayload {
  @Field(() => Transaction)
  transaction!: Transaction;

  @Field(() => Wallet, { description: "The user's wallet after the transaction." })
  wallet!: Wallet;

  @Field({
    description: 'True when this answer replays an earlier request with the same idempotency key.',
  })
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

/** The fields of a credit: its lot may expire (not itself part of the schema). */
@InputType()
abstract class CreditInputBase extends TransferInputBase {
  @Field(() => GraphQLDateTime, {
    nullable: true,
    description: "v2: the credit's lot expires then.",
  })
  expiresAt?: Date | null;
}

@InputType()
export class TopupInput extends CreditInputBase {}

@InputType()
export class BonusInput extends CreditInputBase {}

@InputType()
export class SpendInput extends TransferInputBase {}

/** topup, bonus and spend as the service takes them (only credits carry expiresAt). */
export type TransferInput = TransferInputBase & { expiresAt?: Date | null };
