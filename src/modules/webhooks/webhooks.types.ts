import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { Node } from '../node.types';

@InputType({ description: 'v2' })
export class WebhookInput {
  @Field({
    description: "An http or https URL; the gateway's configuration may restrict the hosts.",
  })
  url!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The signing secret, 32..128 characters; generated when absent.',
  })
  secret?: string | null;
}

@ObjectType({ implements: Node, description: 'v2' })
export class Webhook {
  @Field(() => ID)
  id!: string;

  @Field()
  url!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: "Only in createWebhook's answer; null everywhere else.",
  })
  secret!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Why the last delivery attempt failed, while the event at the head of this webhook's queue is being retried; null when deliveries succeed.",
  })
  lastError!: string | null;

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description:
      'Since when the event at the head of the queue has been failing (later events wait behind it); null when none is.',
  })
  retryingSince!: Date | null;
}
