import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class ReverseInput {
  @Field(() => ID)
  transactionId!: string;

  @Field()
  idempotencyKey!: string;

  @Field(() => String, { nullable: true, description: 'Why the transaction is undone; stored as the reversal\'s reference.' })
  reason?: string | null;
}
