import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { AccountKind, EntryDirection, TransactionKind } from '../../money/enums';
import { AmountScalar } from '../../shared/money';
import { Node } from '../node.types';

export { AccountKind, EntryDirection, TransactionKind };

registerEnumType(TransactionKind, {
  name: 'TransactionKind',
  valuesConfig: {
    CAPTURE: { description: 'A captured hold: user -> revenue, like a spend.' },
    TRANSFER: { description: 'v2: one player to another.' },
    EXPIRY: { description: 'v2: the remainder of an expired lot leaves the wallet.' },
  },
});

registerEnumType(EntryDirection, { name: 'EntryDirection' });

registerEnumType(AccountKind, {
  name: 'AccountKind',
  description:
    "Whose account a ledger entry posts to: a player's wallet or one of the asset's system accounts.",
});

@ObjectType({ implements: Node })
export class LedgerEntry {
  @Field(() => ID)
  id!: string;

  @Field(() => AmountScalar, {
    description:
      'Strictly increasing per wallet, no gaps: a client that sees a jump knows it missed entries. System-account postings are not sequenced and read 0.',
  })
  sequence!: bigint;

  @Field(() => ID)
  userId!: string;

  assetCode!: string;

  @Field(() => AccountKind, {
    description: "USER for a player's wallet; otherwise the system account posted to.",
  })
  account!: AccountKind;

  @Field(() => EntryDirection)
  direction!: EntryDirection;

  @Field(() => AmountScalar)
  amount!: bigint;

  @Field(() => AmountScalar, {
    description:
      "The wallet's balance right after this entry. System-account postings carry no running balance and read 0.",
  })
  balanceAfter!: bigint;

  transactionId!: string;

  @Field(() => TransactionKind, {
    description: 'The kind of the transaction this entry belongs to.',
  })
  kind!: TransactionKind;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType({ implements: Node })
export class Transaction {
  @Field(() => ID)
  id!: string;

  @Field(() => TransactionKind)
  kind!: TransactionKind;

  @Field(() => ID)
  userId!: string;

  assetCode!: string;

  @Field(() => AmountScalar)
  amount!: bigint;

  @Field()
  idempotencyKey!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Free text from the caller: an order id, an item id, a reason.',
  })
  reference!: string | null;

  @Field(() => GraphQLJSON, { nullable: true })
  metadata!: unknown;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  /** The id of the transaction this one reverses (REVERSAL only). */
  reversesId!: string | null;

  /** The hold this transaction captured (CAPTURE only). */
  holdId!: string | null;

  @Field(() => AmountScalar, {
    description: 'v2: the part of amount drawn from or added to PAID lots.',
  })
  paidAmount!: bigint;

  @Field(() => AmountScalar, {
    description: 'v2: the part of amount drawn from or added to FREE lots.',
  })
  freeAmount!: bigint;

  @Field(() => ID, {
    nullable: true,
    description: 'v2: for a TRANSFER, the recipient (userId is the sender).',
  })
  counterpartyUserId!: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'v2: for a leg of applyChangeset, the id its legs share.',
  })
  changesetId!: string | null;

  /** The client (idempotency scope) that made the transaction: it owns it (reversals). */
  clientId!: string;
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class LedgerEdge {
  @Field()
  cursor!: string;

  @Field(() => LedgerEntry)
  node!: LedgerEntry;
}

@ObjectType({ description: 'Newest first.' })
export class LedgerConnection {
  @Field(() => [LedgerEdge])
  edges!: LedgerEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
