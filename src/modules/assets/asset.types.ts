import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { AmountScalar } from '../../shared/money';
import { Node } from '../node.types';

@ObjectType({ description: 'v2: null means no limit.' })
export class AssetLimits {
  @Field(() => AmountScalar, {
    nullable: true,
    description: 'No credit may take a wallet above it (a REVERSAL is exempt).',
  })
  balanceMax!: bigint | null;

  @Field(() => AmountScalar, {
    nullable: true,
    description: 'BONUS credited to one wallet per UTC day, changeset legs included.',
  })
  dailyBonusMax!: bigint | null;

  @Field(() => AmountScalar, {
    nullable: true,
    description: 'TRANSFER sent from one wallet per UTC day.',
  })
  dailyTransferOutMax!: bigint | null;
}

@InputType({ description: 'v2: null means no limit; every field must be given (null clears it).' })
export class AssetLimitsInput {
  @Field(() => AmountScalar, { nullable: true })
  balanceMax!: bigint | null;

  @Field(() => AmountScalar, { nullable: true })
  dailyBonusMax!: bigint | null;

  @Field(() => AmountScalar, { nullable: true })
  dailyTransferOutMax!: bigint | null;
}

@ObjectType({ implements: Node, description: 'A virtual asset players hold, like GOLD_COINS.' })
export class Asset {
  /** Computed from the code (AssetResolver.id). */
  @Field(() => ID, { description: 'v3' })
  id?: string;

  @Field(() => ID, { description: 'Stable code, e.g. GOLD_COINS.' })
  code!: string;

  @Field()
  name!: string;

  @Field(() => Int, {
    description:
      'Display hint: how many of the smallest units make one displayed unit, as a power of ten.',
  })
  decimals!: number;

  @Field(() => AssetLimits, { description: 'v2' })
  limits!: AssetLimits;
}

@InputType()
export class CreateAssetInput {
  @Field(() => ID, {
    description: 'Upper-case code: letters, digits and underscores, starting with a letter.',
  })
  code!: string;

  @Field()
  name!: string;

  @Field(() => Int, { defaultValue: 0 })
  decimals!: number;
}

@InputType()
export class UpdateAssetInput {
  @Field(() => ID)
  code!: string;

  @Field({ nullable: true })
  name?: string;

  @Field(() => Int, { nullable: true })
  decimals?: number;
}
