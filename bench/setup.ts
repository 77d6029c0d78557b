import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/shared/db/database';
import { hashRequest } from '../src/shared/idempotency';
import { encodeCursor } from '../src/modules/ledger/ledger.service';
import { withClient } from './database';

/**
 * The bench's data: one asset (created through the API, as an operator would), a pool of funded
 * users, one hot user with a huge balance, and one user with a long ledger. Funding is set-based
 * SQL that writes exactly the rows a gateway topup writes (bench/sql/setup-*.sql), so that the
 * ledger's invariants hold from the first run on; the bench checks them before and after.
 */
export const benchAsset = 'BENCH_GOLD';
/** Pool users are "100001", "100002", ...: digits only, so pgbench can compute them. */
export const poolUserBase = 100_000;
export const hotUser = '900001';
/**
 * The pgbench ceilings post to wallets of their own: their SQL is frozen as the gateway's was
 * before credit lots, so they move balances without lots, and a wallet the gateway also posts to
 * would then fail the engine's lot assertions. The invariant check exempts these wallets from the
 * lots-sum rule only (their postings are double-entry like any other).
 */
export const ceilingPoolBase = 500_000;
export const ceilingHotUser = '900003';
export function ceilingUserId(index: number): string {
  return String(ceilingPoolBase + 1 + index);
}
export const ledgerUser = '900002';
export const setupClientId = 'bench-setup';

const poolFunding = 1_000_000_000_000n;
const hotFunding = 1_000_000_000_000_000n;
const historyAmount = 1000n;

export interface BenchData {
  asset: string;
  users: number;
  poolUserIds: string[];
  hotUser: string;
  ledgerUser: string;
  ledgerEntries: number;
  /** The cursor after which a ledger page starts at the entry at position `deepOffset` (newest first). */
  deepCursor: string;
  deepOffset: number;
  systemAccounts: { TREASURY: string; BONUS_POOL: string; REVENUE: string };
}

export function poolUserId(index: number): string {
  return String(poolUserBase + 1 + index);
}

export function readBenchSql(name: string): string {
  return readFileSync(path.join(projectRoot(), 'bench', 'sql', name), 'utf8');
}

export interface GraphqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** One GraphQL request over HTTP; throws on a transport error or any GraphQL error. */
export async function graphql(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphqlAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let answer: GraphqlAnswer;
  try {
    answer = JSON.parse(text) as GraphqlAnswer;
  } catch {
    throw new Error(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok || answer.errors?.length) {
    throw new Error(`GraphQL request failed (HTTP ${response.status}): ${text.slice(0, 500)}`);
  }
  return answer;
}

function topupHash(userId: string, amount: bigint): string {
  return hashRequest('topup', {
    userId,
    asset: benchAsset,
    amount,
    reference: null,
    metadata: null,
  });
}

export async function setupData(options: {
  databaseUrl: string;
  gatewayUrl: string;
  adminToken: string;
  users: number;
  ledgerEntries: number;
  log: (m: string) => void;
}): Promise<BenchData> {
  const { log } = options;
  await graphql(
    options.gatewayUrl,
    options.adminToken,
    'mutation ($input: CreateAssetInput!) { createAsset(input: $input) { code } }',
    {
      input: { code: benchAsset, name: 'Bench gold', decimals: 0 },
    },
  );
  log(`asset ${benchAsset} created through the API`);

  const poolUserIds = Array.from({ length: options.users }, (_, i) => poolUserId(i));
  const deepOffset = Math.floor(options.ledgerEntries / 2);
  return withClient(options.databaseUrl, async (client) => {
    const accounts = await client.query<{ account_kind: string; id: string }>(
      `SELECT account_kind::text AS account_kind, id::text AS id FROM wallets WHERE asset_code = $1 AND account_kind <> 'USER'`,
      [benchAsset],
    );
    const systemAccounts = Object.fromEntries(
      accounts.rows.map((row) => [row.account_kind, row.id]),
    ) as BenchData['systemAccounts'];
    if (!systemAccounts.TREASURY || !systemAccounts.BONUS_POOL || !systemAccounts.REVENUE) {
      throw new Error(
        `asset ${benchAsset} has no complete set of system accounts: ${JSON.stringify(accounts.rows)}`,
      );
    }

    const startedMs = Date.now();
    const ceilingUserIds = Array.from({ length: options.users }, (_, i) => ceilingUserId(i));
    const everyone = [...poolUserIds, hotUser, ledgerUser, ...ceilingUserIds, ceilingHotUser];
    await client.query(readBenchSql('setup-wallets.sql'), [everyone, benchAsset]);
    const funded = [
      ...poolUserIds.map((id) => ({ id, amount: poolFunding })),
      { id: hotUser, amount: hotFunding },
      ...ceilingUserIds.map((id) => ({ id, amount: poolFunding })),
      { id: ceilingHotUser, amount: hotFunding },
    ];
    await client.query(readBenchSql('setup-fund.sql'), [
      funded.map((f) => f.id),
      funded.map((f) => f.amount.toString()),
      funded.map((f) => topupHash(f.id, f.amount)),
      benchAsset,
      setupClientId,
      systemAccounts.TREASURY,
    ]);
    log(
      `${poolUserIds.length} pool users funded with ${poolFunding} each, hot user ${hotUser} with ${hotFunding} (${Date.now() - startedMs} ms)`,
    );

    const historyStartedMs = Date.now();
    await client.query(readBenchSql('setup-history.sql'), [
      ledgerUser,
      benchAsset,
      setupClientId,
      options.ledgerEntries,
      historyAmount.toString(),
      topupHash(ledgerUser, historyAmount),
      systemAccounts.TREASURY,
    ]);
    log(
      `ledger user ${ledgerUser}: ${options.ledgerEntries} entries (${Date.now() - historyStartedMs} ms)`,
    );

    // Fresh statistics, so that the first runs do not plan against an empty-table estimate.
    await client.query('VACUUM ANALYZE');

    // The entry at position deepOffset + 1, newest first: a page after this cursor starts deepOffset entries deep.
    const deep = await client.query<{ id: string }>(
      `SELECT e.id::text AS id FROM ledger_entries e JOIN wallets w ON w.id = e.wallet_id
        WHERE w.user_id = $1 AND w.asset_code = $2 ORDER BY e.id DESC OFFSET $3 LIMIT 1`,
      [ledgerUser, benchAsset, deepOffset - 1],
    );
    if (!deep.rows[0]) throw new Error('the ledger user has fewer entries than expected');
    return {
      asset: benchAsset,
      users: options.users,
      poolUserIds,
      hotUser,
      ledgerUser,
      ledgerEntries: options.ledgerEntries,
      deepCursor: encodeCursor(deep.rows[0].id),
      deepOffset,
      systemAccounts,
    };
  });
}

/**
 * Reads the deep page once through the API and checks that it starts where it should (sequence
 * entries - deepOffset), so that a change of the cursor format cannot silently turn the deep-page
 * workload into an error or a first page.
 */
export async function checkDeepCursor(
  gatewayUrl: string,
  token: string,
  data: BenchData,
): Promise<void> {
  const answer = await graphql(gatewayUrl, token, ledgerQuery, {
    userId: data.ledgerUser,
    asset: data.asset,
    first: 1,
    after: data.deepCursor,
  });
  const ledger = (answer.data as { ledger: { edges: { node: { sequence: string } }[] } }).ledger;
  const sequence = ledger.edges[0]?.node.sequence;
  const expected = String(data.ledgerEntries - data.deepOffset);
  if (sequence !== expected)
    throw new Error(`the deep-page cursor starts at sequence ${sequence}, expected ${expected}`);
}

/** The documents the workloads send (what a game server or a wallet screen would ask for). */
export const ledgerQuery = `query Ledger($userId: ID!, $asset: ID, $first: Int, $after: String) {
  ledger(userId: $userId, asset: $asset, first: $first, after: $after) {
    edges { cursor node { id sequence direction amount balanceAfter createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const balanceQuery = `query Balance($userId: ID!, $asset: ID!) {
  balance(userId: $userId, asset: $asset) { balance available }
}`;

export function transferMutation(operation: 'topup' | 'spend' | 'bonus'): string {
  const inputType = { topup: 'TopupInput', spend: 'SpendInput', bonus: 'BonusInput' }[operation];
  return `mutation Transfer($input: ${inputType}!) {
  ${operation}(input: $input) { transaction { id } wallet { balance available } replayed }
}`;
}
