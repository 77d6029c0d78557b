import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { PageInfo } from '../ledger/ledger.types';
import { Node } from '../node.types';

export enum EventType {
  TRANSACTION = 'TRANSACTION',
  HOLD = 'HOLD',
  WALLET_STATUS = 'WALLET_STATUS',
}
registerEnumType(EventType, { name: 'EventType', description: 'v2' });

/** An event row as the store reads it: the object it is about is resolved by the resolver. */
@ObjectType({ implements: Node, description: 'v2: one committed change.' })
export class Event {
  @Field(() => ID)
  id!: string;

  @Field(() => EventType)
  type!: EventType;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  /** The writing transaction's id: with id, the event's place in the feed. */
  xact!: string;

  /** TRANSACTION: the transaction's id. */
  transactionId!: string | null;

  /** HOLD and WALLET_STATUS: the object as the change left it (JSON, amounts as decimal strings). */
  payload!: Record<string, unknown> | null;
}

@ObjectType({ description: 'v2' })
export class EventEdge {
  @Field()
  cursor!: string;

  @Field(() => Event)
  node!: Event;
}

@ObjectType({ description: 'v2: oldest first.' })
export class EventConnection {
  @Field(() => [EventEdge])
  edges!: EventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

/** events' arguments, as a class so that the schema lists them in the contract's order. */
@ArgsType()
export class EventsArgs {
  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: 100 })
  first?: number | null;
}
