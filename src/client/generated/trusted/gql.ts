/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation ApplyChangeset($input: ChangesetInput!) {\n  applyChangeset(input: $input) {\n    changesetId\n    replayed\n    transactions {\n      ...TransactionFields\n    }\n    wallets {\n      ...WalletFields\n    }\n  }\n}": typeof types.ApplyChangesetDocument,
    "query Assets {\n  assets {\n    ...AssetLimitsFields\n  }\n}": typeof types.AssetsDocument,
    "subscription BalanceChanged($userId: ID!, $asset: ID, $afterSequence: Amount) {\n  balanceChanged(userId: $userId, asset: $asset, afterSequence: $afterSequence) {\n    wallet {\n      ...WalletFields\n    }\n    entry {\n      ...EntryFields\n      transaction {\n        id\n        reference\n      }\n    }\n  }\n}": typeof types.BalanceChangedDocument,
    "query Balance($userId: ID!, $asset: ID!, $at: DateTime) {\n  balance(userId: $userId, asset: $asset, at: $at) {\n    ...WalletFields\n  }\n}": typeof types.BalanceDocument,
    "query Balances($userId: ID!) {\n  balances(userId: $userId) {\n    ...WalletFields\n  }\n}": typeof types.BalancesDocument,
    "mutation Bonus($input: BonusInput!) {\n  bonus(input: $input) {\n    ...TransferFields\n  }\n}": typeof types.BonusDocument,
    "mutation CaptureHold($input: CaptureHoldInput!) {\n  captureHold(input: $input) {\n    ...TransferFields\n  }\n}": typeof types.CaptureHoldDocument,
    "mutation CreateAsset($input: CreateAssetInput!) {\n  createAsset(input: $input) {\n    ...AssetFields\n  }\n}": typeof types.CreateAssetDocument,
    "mutation CreateWebhook($input: WebhookInput!) {\n  createWebhook(input: $input) {\n    ...WebhookFields\n    secret\n  }\n}": typeof types.CreateWebhookDocument,
    "mutation DeleteWebhook($id: ID!) {\n  deleteWebhook(id: $id)\n}": typeof types.DeleteWebhookDocument,
    "query Events($after: String, $first: Int) {\n  events(after: $after, first: $first) {\n    edges {\n      cursor\n      node {\n        ...EventFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.EventsDocument,
    "fragment AssetFields on Asset {\n  id\n  code\n  name\n  decimals\n}\n\nfragment WalletFields on Wallet {\n  id\n  userId\n  balance\n  available\n  lastSequence\n  updatedAt\n  paid\n  free\n  status\n  expiring {\n    ...CreditLotFields\n  }\n  asset {\n    ...AssetFields\n  }\n}\n\nfragment CreditLotFields on CreditLot {\n  origin\n  amount\n  expiresAt\n  createdAt\n}\n\nfragment AssetLimitsFields on Asset {\n  ...AssetFields\n  limits {\n    balanceMax\n    dailyBonusMax\n    dailyTransferOutMax\n  }\n}\n\nfragment EntryFields on LedgerEntry {\n  id\n  sequence\n  userId\n  account\n  direction\n  amount\n  balanceAfter\n  kind\n  createdAt\n  asset {\n    code\n  }\n}\n\nfragment TransactionFields on Transaction {\n  id\n  kind\n  userId\n  amount\n  idempotencyKey\n  reference\n  metadata\n  createdAt\n  paidAmount\n  freeAmount\n  counterpartyUserId\n  changesetId\n  asset {\n    code\n  }\n  entries {\n    ...EntryFields\n  }\n}\n\nfragment TransferFields on TransferPayload {\n  replayed\n  transaction {\n    ...TransactionFields\n  }\n  wallet {\n    ...WalletFields\n  }\n}\n\nfragment HoldFields on Hold {\n  id\n  userId\n  amount\n  status\n  expiresAt\n  createdAt\n  reference\n  resolvedAt\n  asset {\n    code\n  }\n}\n\nfragment HoldPayloadFields on HoldPayload {\n  replayed\n  hold {\n    ...HoldFields\n  }\n  wallet {\n    ...WalletFields\n  }\n}\n\nfragment EventFields on Event {\n  id\n  type\n  createdAt\n  transaction {\n    id\n    kind\n    userId\n    amount\n    paidAmount\n    freeAmount\n    counterpartyUserId\n    changesetId\n    reference\n    createdAt\n    asset {\n      code\n    }\n  }\n  hold {\n    ...HoldFields\n  }\n  wallet {\n    userId\n    balance\n    status\n    asset {\n      code\n    }\n  }\n}\n\nfragment WebhookFields on Webhook {\n  id\n  url\n  createdAt\n  lastError\n  retryingSince\n}": typeof types.AssetFieldsFragmentDoc,
    "query Hold($id: ID!) {\n  hold(id: $id) {\n    ...HoldFields\n  }\n}": typeof types.HoldDocument,
    "mutation PlaceHold($input: HoldInput!) {\n  hold(input: $input) {\n    ...HoldPayloadFields\n  }\n}": typeof types.PlaceHoldDocument,
    "query Ledger($userId: ID!, $asset: ID, $kinds: [TransactionKind!], $since: DateTime, $until: DateTime, $reference: String, $first: Int = 50, $after: String) {\n  ledger(\n    userId: $userId\n    asset: $asset\n    kinds: $kinds\n    since: $since\n    until: $until\n    reference: $reference\n    first: $first\n    after: $after\n  ) {\n    edges {\n      cursor\n      node {\n        ...EntryFields\n        transaction {\n          id\n          reference\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.LedgerDocument,
    "mutation ReleaseHold($holdId: ID!, $idempotencyKey: String!) {\n  releaseHold(holdId: $holdId, idempotencyKey: $idempotencyKey) {\n    ...HoldPayloadFields\n  }\n}": typeof types.ReleaseHoldDocument,
    "mutation Reverse($input: ReverseInput!) {\n  reverse(input: $input) {\n    ...TransferFields\n  }\n}": typeof types.ReverseDocument,
    "mutation SetAssetLimits($asset: ID!, $limits: AssetLimitsInput!) {\n  setAssetLimits(asset: $asset, limits: $limits) {\n    ...AssetLimitsFields\n  }\n}": typeof types.SetAssetLimitsDocument,
    "mutation SetWalletStatus($userId: ID!, $asset: ID, $status: WalletStatus!, $reason: String) {\n  setWalletStatus(\n    userId: $userId\n    asset: $asset\n    status: $status\n    reason: $reason\n  ) {\n    ...WalletFields\n  }\n}": typeof types.SetWalletStatusDocument,
    "mutation Spend($input: SpendInput!) {\n  spend(input: $input) {\n    ...TransferFields\n  }\n}": typeof types.SpendDocument,
    "mutation Topup($input: TopupInput!) {\n  topup(input: $input) {\n    ...TransferFields\n  }\n}": typeof types.TopupDocument,
    "query Transaction($id: ID!) {\n  transaction(id: $id) {\n    ...TransactionFields\n  }\n}": typeof types.TransactionDocument,
    "mutation Transfer($input: UserTransferInput!) {\n  transfer(input: $input) {\n    replayed\n    transaction {\n      ...TransactionFields\n    }\n    from {\n      ...WalletFields\n    }\n    to {\n      ...WalletFields\n    }\n  }\n}": typeof types.TransferDocument,
    "mutation UpdateAsset($input: UpdateAssetInput!) {\n  updateAsset(input: $input) {\n    ...AssetFields\n  }\n}": typeof types.UpdateAssetDocument,
    "query Webhooks {\n  webhooks {\n    ...WebhookFields\n    failedEvents {\n      id\n      type\n      createdAt\n    }\n  }\n}": typeof types.WebhooksDocument,
};
const documents: Documents = {
    "mutation ApplyChangeset($input: ChangesetInput!) {\n  applyChangeset(input: $input) {\n    changesetId\n    replayed\n    transactions {\n      ...TransactionFields\n    }\n    wallets {\n      ...WalletFields\n    }\n  }\n}": types.ApplyChangesetDocument,
    "query Assets {\n  assets {\n    ...AssetLimitsFields\n  }\n}": types.AssetsDocument,
    "subscription BalanceChanged($userId: ID!, $asset: ID, $afterSequence: Amount) {\n  balanceChanged(userId: $userId, asset: $asset, afterSequence: $afterSequence) {\n    wallet {\n      ...WalletFields\n    }\n    entry {\n      ...EntryFields\n      transaction {\n        id\n        reference\n      }\n    }\n  }\n}": types.BalanceChangedDocument,
    "query Balance($userId: ID!, $asset: ID!, $at: DateTime) {\n  balance(userId: $userId, asset: $asset, at: $at) {\n    ...WalletFields\n  }\n}": types.BalanceDocument,
    "query Balances($userId: ID!) {\n  balances(userId: $userId) {\n    ...WalletFields\n  }\n}": types.BalancesDocument,
    "mutation Bonus($input: BonusInput!) {\n  bonus(input: $input) {\n    ...TransferFields\n  }\n}": types.BonusDocument,
    "mutation CaptureHold($input: CaptureHoldInput!) {\n  captureHold(input: $input) {\n    ...TransferFields\n  }\n}": types.CaptureHoldDocument,
    "mutation CreateAsset($input: CreateAssetInput!) {\n  createAsset(input: $input) {\n    ...AssetFields\n  }\n}": types.CreateAssetDocument,
    "mutation CreateWebhook($input: WebhookInput!) {\n  createWebhook(input: $input) {\n    ...WebhookFields\n    secret\n  }\n}": types.CreateWebhookDocument,
    "mutation DeleteWebhook($id: ID!) {\n  deleteWebhook(id: $id)\n}": types.DeleteWebhookDocument,
    "query Events($after: String, $first: Int) {\n  events(after: $after, first: $first) {\n    edges {\n      cursor\n      node {\n        ...EventFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.EventsDocument,
    "fragment AssetFields on Asset {\n  id\n  code\n  name\n  decimals\n}\n\nfragment WalletFields on Wallet {\n  id\n  userId\n  balance\n  available\n  lastSequence\n  updatedAt\n  paid\n  free\n  status\n  expiring {\n    ...CreditLotFields\n  }\n  asset {\n    ...AssetFields\n  }\n}\n\nfragment CreditLotFields on CreditLot {\n  origin\n  amount\n  expiresAt\n  createdAt\n}\n\nfragment AssetLimitsFields on Asset {\n  ...AssetFields\n  limits {\n    balanceMax\n    dailyBonusMax\n    dailyTransferOutMax\n  }\n}\n\nfragment EntryFields on LedgerEntry {\n  id\n  sequence\n  userId\n  account\n  direction\n  amount\n  balanceAfter\n  kind\n  createdAt\n  asset {\n    code\n  }\n}\n\nfragment TransactionFields on Transaction {\n  id\n  kind\n  userId\n  amount\n  idempotencyKey\n  reference\n  metadata\n  createdAt\n  paidAmount\n  freeAmount\n  counterpartyUserId\n  changesetId\n  asset {\n    code\n  }\n  entries {\n    ...EntryFields\n  }\n}\n\nfragment TransferFields on TransferPayload {\n  replayed\n  transaction {\n    ...TransactionFields\n  }\n  wallet {\n    ...WalletFields\n  }\n}\n\nfragment HoldFields on Hold {\n  id\n  userId\n  amount\n  status\n  expiresAt\n  createdAt\n  reference\n  resolvedAt\n  asset {\n    code\n  }\n}\n\nfragment HoldPayloadFields on HoldPayload {\n  replayed\n  hold {\n    ...HoldFields\n  }\n  wallet {\n    ...WalletFields\n  }\n}\n\nfragment EventFields on Event {\n  id\n  type\n  createdAt\n  transaction {\n    id\n    kind\n    userId\n    amount\n    paidAmount\n    freeAmount\n    counterpartyUserId\n    changesetId\n    reference\n    createdAt\n    asset {\n      code\n    }\n  }\n  hold {\n    ...HoldFields\n  }\n  wallet {\n    userId\n    balance\n    status\n    asset {\n      code\n    }\n  }\n}\n\nfragment WebhookFields on Webhook {\n  id\n  url\n  createdAt\n  lastError\n  retryingSince\n}": types.AssetFieldsFragmentDoc,
    "query Hold($id: ID!) {\n  hold(id: $id) {\n    ...HoldFields\n  }\n}": types.HoldDocument,
    "mutation PlaceHold($input: HoldInput!) {\n  hold(input: $input) {\n    ...HoldPayloadFields\n  }\n}": types.PlaceHoldDocument,
    "query Ledger($userId: ID!, $asset: ID, $kinds: [TransactionKind!], $since: DateTime, $until: DateTime, $reference: String, $first: Int = 50, $after: String) {\n  ledger(\n    userId: $userId\n    asset: $asset\n    kinds: $kinds\n    since: $since\n    until: $until\n    reference: $reference\n    first: $first\n    after: $after\n  ) {\n    edges {\n      cursor\n      node {\n        ...EntryFields\n        transaction {\n          id\n          reference\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.LedgerDocument,
    "mutation ReleaseHold($holdId: ID!, $idempotencyKey: String!) {\n  releaseHold(holdId: $holdId, idempotencyKey: $idempotencyKey) {\n    ...HoldPayloadFields\n  }\n}": types.ReleaseHoldDocument,
    "mutation Reverse($input: ReverseInput!) {\n  reverse(input: $input) {\n    ...TransferFields\n  }\n}": types.ReverseDocument,
    "mutation SetAssetLimits($asset: ID!, $limits: AssetLimitsInput!) {\n  setAssetLimits(asset: $asset, limits: $limits) {\n    ...AssetLimitsFields\n  }\n}": types.SetAssetLimitsDocument,
    "mutation SetWalletStatus($userId: ID!, $asset: ID, $status: WalletStatus!, $reason: String) {\n  setWalletStatus(\n    userId: $userId\n    asset: $asset\n    status: $status\n    reason: $reason\n  ) {\n    ...WalletFields\n  }\n}": types.SetWalletStatusDocument,
    "mutation Spend($input: SpendInput!) {\n  spend(input: $input) {\n    ...TransferFields\n  }\n}": types.SpendDocument,
    "mutation Topup($input: TopupInput!) {\n  topup(input: $input) {\n    ...TransferFields\n  }\n}": types.TopupDocument,
    "query Transaction($id: ID!) {\n  transaction(id: $id) {\n    ...TransactionFields\n  }\n}": types.TransactionDocument,
    "mutation Transfer($input: UserTransferInput!) {\n  transfer(input: $input) {\n    replayed\n    transaction {\n      ...TransactionFields\n    }\n    from {\n      ...WalletFields\n    }\n    to {\n      ...WalletFields\n    }\n  }\n}": types.TransferDocument,
    "mutation UpdateAsset($input: UpdateAssetInput!) {\n  updateAsset(input: $input) {\n    ...AssetFields\n  }\n}": types.UpdateAssetDocument,
    "query Webhooks {\n  webhooks {\n    ...WebhookFields\n    failedEvents {\n      id\n      type\n      createdAt\n    }\n  }\n}": types.WebhooksDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ApplyChangeset($input: ChangesetInput!) {\n  applyChangeset(input: $input) {\n    changesetId\n    replayed\n    transactions {\n      ...TransactionFields\n    }\n    wallets {\n      ...WalletFields\n    }\n  }\n}"): (typeof documents)["mutation ApplyChangeset($input: ChangesetInput!) {\n  applyChangeset(input: $input) {\n    changesetId\n    replayed\n    transactions {\n      ...TransactionFields\n    }\n    wallets {\n      ...WalletFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Assets {\n  assets {\n    ...AssetLimitsFields\n  }\n}"): (typeof documents)["query Assets {\n  assets {\n    ...AssetLimitsFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription BalanceChanged($userId: ID!, $asset: ID, $afterSequence: Amount) {\n  balanceChanged(userId: $userId, asset: $asset, afterSequence: $afterSequence) {\n    wallet {\n      ...WalletFields\n    }\n    entry {\n      ...EntryFields\n      transaction {\n        id\n        reference\n      }\n    }\n  }\n}"): (typeof documents)["subscription BalanceChanged($userId: ID!, $asset: ID, $afterSequence: Amount) {\n  balanceChanged(userId: $userId, asset: $asset, afterSequence: $afterSequence) {\n    wallet {\n      ...WalletFields\n    }\n    entry {\n      ...EntryFields\n      transaction {\n        id\n        reference\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Balance($userId: ID!, $asset: ID!, $at: DateTime) {\n  balance(userId: $userId, asset: $asset, at: $at) {\n    ...WalletFields\n  }\n}"): (typeof documents)["query Balance($userId: ID!, $asset: ID!, $at: DateTime) {\n  balance(userId: $userId, asset: $asset, at: $at) {\n    ...WalletFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Balances($userId: ID!) {\n  balances(userId: $userId) {\n    ...WalletFields\n  }\n}"): (typeof documents)["query Balances($userId: ID!) {\n  balances(userId: $userId) {\n    ...WalletFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Bonus($input: BonusInput!) {\n  bonus(input: $input) {\n    ...TransferFields\n  }\n}"): (typeof documents)["mutation Bonus($input: BonusInput!) {\n  bonus(input: $input) {\n    ...TransferFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CaptureHold($input: CaptureHoldInput!) {\n  captureHold(input: $input) {\n    ...TransferFields\n  }\n}"): (typeof documents)["mutation CaptureHold($input: CaptureHoldInput!) {\n  captureHold(input: $input) {\n    ...TransferFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateAsset($input: CreateAssetInput!) {\n  createAsset(input: $input) {\n    ...AssetFields\n  }\n}"): (typeof documents)["mutation CreateAsset($input: CreateAssetInput!) {\n  createAsset(input: $input) {\n    ...AssetFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateWebhook($input: WebhookInput!) {\n  createWebhook(input: $input) {\n    ...WebhookFields\n    secret\n  }\n}"): (typeof documents)["mutation CreateWebhook($input: WebhookInput!) {\n  createWebhook(input: $input) {\n    ...WebhookFields\n    secret\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteWebhook($id: ID!) {\n  deleteWebhook(id: $id)\n}"): (typeof documents)["mutation DeleteWebhook($id: ID!) {\n  deleteWebhook(id: $id)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Events($after: String, $first: Int) {\n  events(after: $after, first: $first) {\n    edges {\n      cursor\n      node {\n        ...EventFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query Events($after: String, $first: Int) {\n  events(after: $after, first: $first) {\n    edges {\n      cursor\n      node {\n        ...EventFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment AssetFields on Asset {\n  id\n  code\n  name\n  decimals\n}\n\nfragment WalletFields on Wallet {\n  id\n  userId\n  balance\n  available\n  lastSequence\n  updatedAt\n  paid\n  free\n  status\n  expiring {\n    ...CreditLotFields\n  }\n  asset {\n    ...AssetFields\n  }\n}\n\nfragment CreditLotFields on CreditLot {\n  origin\n  amount\n  expiresAt\n  createdAt\n}\n\nfragment AssetLimitsFields on Asset {\n  ...AssetFields\n  limits {\n    balanceMax\n    dailyBonusMax\n    dailyTransferOutMax\n  }\n}\n\nfragment EntryFields on LedgerEntry {\n  id\n  sequence\n  userId\n  account\n  direction\n  amount\n  balanceAfter\n  kind\n  createdAt\n  asset {\n    code\n  }\n}\n\nfragment TransactionFields on Transaction {\n  id\n  kind\n  userId\n  amount\n  idempotencyKey\n  reference\n  metadata\n  createdAt\n  paidAmount\n  freeAmount\n  counterpartyUserId\n  changesetId\n  asset {\n    code\n  }\n  entries {\n    ...EntryFields\n  }\n}\n\nfragment TransferFields on TransferPayload {\n  replayed\n  transaction {\n    ...TransactionFields\n  }\n  wallet {\n    ...WalletFields\n  }\n}\n\nfragment HoldFields on Hold {\n  id\n  userId\n  amount\n  status\n  expiresAt\n  createdAt\n  reference\n  resolvedAt\n  asset {\n    code\n  }\n}\n\nfragment HoldPayloadFields on HoldPayload {\n  replayed\n  hold {\n    ...HoldFields\n  }\n  wallet {\n    ...WalletFields\n  }\n}\n\nfragment EventFields on Event {\n  id\n  type\n  createdAt\n  transaction {\n    id\n    kind\n    userId\n    amount\n    paidAmount\n    freeAmount\n    counterpartyUserId\n    changesetId\n    reference\n    createdAt\n    asset {\n      code\n    }\n  }\n  hold {\n    ...HoldFields\n  }\n  wallet {\n    userId\n    balance\n    status\n    asset {\n      code\n    }\n  }\n}\n\nfragment WebhookFields on Webhook {\n  id\n  url\n  createdAt\n  lastError\n  retryingSince\n}"): (typeof documents)["fragment AssetFields on Asset {\n  id\n  code\n  name\n  decimals\n}\n\nfragment WalletFields on Wallet {\n  id\n  userId\n  balance\n  available\n  lastSequence\n  updatedAt\n  paid\n  free\n  status\n  expiring {\n    ...CreditLotFields\n  }\n  asset {\n    ...AssetFields\n  }\n}\n\nfragment CreditLotFields on CreditLot {\n  origin\n  amount\n  expiresAt\n  createdAt\n}\n\nfragment AssetLimitsFields on Asset {\n  ...AssetFields\n  limits {\n    balanceMax\n    dailyBonusMax\n    dailyTransferOutMax\n  }\n}\n\nfragment EntryFields on LedgerEntry {\n  id\n  sequence\n  userId\n  account\n  direction\n  amount\n  balanceAfter\n  kind\n  createdAt\n  asset {\n    code\n  }\n}\n\nfragment TransactionFields on Transaction {\n  id\n  kind\n  userId\n  amount\n  idempotencyKey\n  reference\n  metadata\n  createdAt\n  paidAmount\n  freeAmount\n  counterpartyUserId\n  changesetId\n  asset {\n    code\n  }\n  entries {\n    ...EntryFields\n  }\n}\n\nfragment TransferFields on TransferPayload {\n  replayed\n  transaction {\n    ...TransactionFields\n  }\n  wallet {\n    ...WalletFields\n  }\n}\n\nfragment HoldFields on Hold {\n  id\n  userId\n  amount\n  status\n  expiresAt\n  createdAt\n  reference\n  resolvedAt\n  asset {\n    code\n  }\n}\n\nfragment HoldPayloadFields on HoldPayload {\n  replayed\n  hold {\n    ...HoldFields\n  }\n  wallet {\n    ...WalletFields\n  }\n}\n\nfragment EventFields on Event {\n  id\n  type\n  createdAt\n  transaction {\n    id\n    kind\n    userId\n    amount\n    paidAmount\n    freeAmount\n    counterpartyUserId\n    changesetId\n    reference\n    createdAt\n    asset {\n      code\n    }\n  }\n  hold {\n    ...HoldFields\n  }\n  wallet {\n    userId\n    balance\n    status\n    asset {\n      code\n    }\n  }\n}\n\nfragment WebhookFields on Webhook {\n  id\n  url\n  createdAt\n  lastError\n  retryingSince\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Hold($id: ID!) {\n  hold(id: $id) {\n    ...HoldFields\n  }\n}"): (typeof documents)["query Hold($id: ID!) {\n  hold(id: $id) {\n    ...HoldFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PlaceHold($input: HoldInput!) {\n  hold(input: $input) {\n    ...HoldPayloadFields\n  }\n}"): (typeof documents)["mutation PlaceHold($input: HoldInput!) {\n  hold(input: $input) {\n    ...HoldPayloadFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Ledger($userId: ID!, $asset: ID, $kinds: [TransactionKind!], $since: DateTime, $until: DateTime, $reference: String, $first: Int = 50, $after: String) {\n  ledger(\n    userId: $userId\n    asset: $asset\n    kinds: $kinds\n    since: $since\n    until: $until\n    reference: $reference\n    first: $first\n    after: $after\n  ) {\n    edges {\n      cursor\n      node {\n        ...EntryFields\n        transaction {\n          id\n          reference\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query Ledger($userId: ID!, $asset: ID, $kinds: [TransactionKind!], $since: DateTime, $until: DateTime, $reference: String, $first: Int = 50, $after: String) {\n  ledger(\n    userId: $userId\n    asset: $asset\n    kinds: $kinds\n    since: $since\n    until: $until\n    reference: $reference\n    first: $first\n    after: $after\n  ) {\n    edges {\n      cursor\n      node {\n        ...EntryFields\n        transaction {\n          id\n          reference\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ReleaseHold($holdId: ID!, $idempotencyKey: String!) {\n  releaseHold(holdId: $holdId, idempotencyKey: $idempotencyKey) {\n    ...HoldPayloadFields\n  }\n}"): (typeof documents)["mutation ReleaseHold($holdId: ID!, $idempotencyKey: String!) {\n  releaseHold(holdId: $holdId, idempotencyKey: $idempotencyKey) {\n    ...HoldPayloadFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Reverse($input: ReverseInput!) {\n  reverse(input: $input) {\n    ...TransferFields\n  }\n}"): (typeof documents)["mutation Reverse($input: ReverseInput!) {\n  reverse(input: $input) {\n    ...TransferFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetAssetLimits($asset: ID!, $limits: AssetLimitsInput!) {\n  setAssetLimits(asset: $asset, limits: $limits) {\n    ...AssetLimitsFields\n  }\n}"): (typeof documents)["mutation SetAssetLimits($asset: ID!, $limits: AssetLimitsInput!) {\n  setAssetLimits(asset: $asset, limits: $limits) {\n    ...AssetLimitsFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetWalletStatus($userId: ID!, $asset: ID, $status: WalletStatus!, $reason: String) {\n  setWalletStatus(\n    userId: $userId\n    asset: $asset\n    status: $status\n    reason: $reason\n  ) {\n    ...WalletFields\n  }\n}"): (typeof documents)["mutation SetWalletStatus($userId: ID!, $asset: ID, $status: WalletStatus!, $reason: String) {\n  setWalletStatus(\n    userId: $userId\n    asset: $asset\n    status: $status\n    reason: $reason\n  ) {\n    ...WalletFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Spend($input: SpendInput!) {\n  spend(input: $input) {\n    ...TransferFields\n  }\n}"): (typeof documents)["mutation Spend($input: SpendInput!) {\n  spend(input: $input) {\n    ...TransferFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Topup($input: TopupInput!) {\n  topup(input: $input) {\n    ...TransferFields\n  }\n}"): (typeof documents)["mutation Topup($input: TopupInput!) {\n  topup(input: $input) {\n    ...TransferFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Transaction($id: ID!) {\n  transaction(id: $id) {\n    ...TransactionFields\n  }\n}"): (typeof documents)["query Transaction($id: ID!) {\n  transaction(id: $id) {\n    ...TransactionFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Transfer($input: UserTransferInput!) {\n  transfer(input: $input) {\n    replayed\n    transaction {\n      ...TransactionFields\n    }\n    from {\n      ...WalletFields\n    }\n    to {\n      ...WalletFields\n    }\n  }\n}"): (typeof documents)["mutation Transfer($input: UserTransferInput!) {\n  transfer(input: $input) {\n    replayed\n    transaction {\n      ...TransactionFields\n    }\n    from {\n      ...WalletFields\n    }\n    to {\n      ...WalletFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateAsset($input: UpdateAssetInput!) {\n  updateAsset(input: $input) {\n    ...AssetFields\n  }\n}"): (typeof documents)["mutation UpdateAsset($input: UpdateAssetInput!) {\n  updateAsset(input: $input) {\n    ...AssetFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Webhooks {\n  webhooks {\n    ...WebhookFields\n    failedEvents {\n      id\n      type\n      createdAt\n    }\n  }\n}"): (typeof documents)["query Webhooks {\n  webhooks {\n    ...WebhookFields\n    failedEvents {\n      id\n      type\n      createdAt\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;