import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class ReverseInput {
  @Field(() => ID)
  transactionId!: string;

  @Field()
  idempotencyKey!: string;

  @Field(() => String, {
    nullable: true,
    description: "Why the transaction is undone; stored as the reversal's reference.",
  })
  reason?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      "v2: for a TOPUP or BONUS whose credit was partly spent (a refunded store\npurchase), take back what is available, up to the amount, instead of\nrefusing with INSUFFICIENT_FUNDS. The REVERSAL's amount is what was taken\n(at least 1; with nothing available, INSUFFICIENT_FUNDS).",
  })
  allowPartial?: boolean | null;
}
