import { ArgsType, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { HoldStatus } from '../../money/enums';
import { AmountScalar } from '../../shared/money';
import { Wallet, WalletRequestInputBase } from '../wallet/wallet.types';
import { Node } from '../node.types';

export { HoldStatus };

registerEnumType(HoldStatus, { name: 'HoldStatus' });

@ObjectType({
  implements: Node,
  description:
    'Funds reserved on a wallet: they count against available, not against balance, until captured, released or expired.',
})
export class Hold {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  userId!: string;

  assetCode!: string;

  @Field(() => AmountScalar)
  amount!: bigint;

  @Field(() => HoldStatus, {
    description:
      'A hold past its expiresAt reads EXPIRED at once, even before the background sweep records it.',
  })
  status!: HoldStatus;

  @Field(() => GraphQLDateTime, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'Free text from the caller, copied to the CAPTURE transaction.',
  })
  reference!: string | null;

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description:
      'When the hold stopped reserving funds (captured, released or expired); null while ACTIVE.',
  })
  resolvedAt!: Date | null;

  /** The id of the CAPTURE transaction, once captured. */
  captureTransactionId!: string | null;

  /** The client (idempotency scope) that placed the hold: it owns it (capture, release). */
  clientId!: string;
}

@ObjectType()
export class HoldPayload {
  @Field(() => Hold)
  hold!: Hold;

  @Field(() => Wallet, { description: "The user's wallet after the operation." })
  wallet!: Wallet;

  @Field({
    description: 'True when this answer replays an earlier request with the same idempotency key.',
  })
  replayed!: boolean;
}

@InputType()
export class HoldInput extends WalletRequestInputBase {
  @Field(() => GraphQLDateTime, {
    nullable: true,
    description:
      'When the hold stops reserving funds by itself. Must be in the future and within the expiry horizon; defaults to the default hold lifetime.',
  })
  expiresAt?: Date | null;

  @Field(() => String, { nullable: true })
  reference?: string | null;
}

@InputType()
export class CaptureHoldInput {
  @Field(() => ID)
  holdId!: string;

  @Field(() => AmountScalar, {
    nullable: true,
    description:
      'Defaults to the whole hold; a smaller amount captures part and releases the rest.',
  })
  amount?: bigint | null;

  @Field()
  idempotencyKey!: string;
}

/** releaseHold's arguments, as a class so that the schema lists them in the contract's order. */
@ArgsType()
export class ReleaseHoldArgs {
  @Field(() => ID)
  holdId!: string;

  @Field()
  idempotencyKey!: string;
}
