import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { PageInfo } from '../ledger/ledger.types';

export enum EventType {
  TRANSACTION = 'TRANSACTION',
  HOLD = 'HOLD',
  WALLET_STATUS = 'WALLET_STATUS',
}
registerEnumType(EventType, { name: 'EventType' });

/** An event row as the store reads it: the object it is about is resolved by the resolver. */
@ObjectType({ description: 'v2: one committed change.' })
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

@ObjectType()
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
