import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A virtual asset players hold, like GOLD_COINS.' })
export class Asset {
  @Field(() => ID, { description: 'Stable code, e.g. GOLD_COINS.' })
  code!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Display hint: how many of the smallest units make one displayed unit, as a power of ten.' })
  decimals!: number;
}

@InputType()
export class CreateAssetInput {
  @Field(() => ID, { description: 'Upper-case code: letters, digits and underscores, starting with a letter.' })
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
