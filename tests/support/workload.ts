// A seeded, replayable randomized money workload and the client-side bookkeeping that, together with the ledger's SQL invariants, decides whether a run kept every promise.
import { setTimeout } from 'node:timers/promises';
import type { PrismaClient } from '../../generated/prisma/client';
import { findInvariantBreaches } from '../../src/app/invariants';
import { buildGatewaySchema } from '../../src/app/schema';

// ---------------------------------------------------------------------------------------------
// Seeds and sizes
// ---------------------------------------------------------------------------------------------

/** mulberry32: a tiny, fast PRNG whose whole state is one 32-bit number, so a seed replays a run. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Random {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Partial<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }
}

/**
 * The size of this run. RELIABILITY_SIZE=goal is the goal-size soak (`npm run test:soak:goal`):
 * at least 100,000 random operations, 100 SIGKILLs, 10 database outages and 10,000 hostile
 * inputs. SOAK=1 (`npm run test:soak`) is the ordinary soak; neither is the CI size.
 */
export const reliabilitySize: 'ci' | 'soak' | 'goal' = (() => {
  const raw = process.env.RELIABILITY_SIZE?.trim();
  if (raw === 'goal' || raw === 'soak' || raw === 'ci') return raw;
  if (raw !== undefined && raw !== '')
    throw new Error(`RELIABILITY_SIZE must be ci, soak or goal (got "${raw}")`);
  return process.env.SOAK === '1' || process.env.SOAK === 'true' ? 'soak' : 'ci';
})();

/** True for `npm run test:soak` (SOAK=1) and the goal size: every size below scales up. */
export const isSoak = reliabilitySize !== 'ci';

/**
 * The seed of this run: RELIABILITY_SEED replays a failed run's operations; otherwise a fresh one.
 * Each test file derives its own stream from it (see `deriveSeed`), so one seed replays all of them.
 */
export function reliabilitySeed(): number {
  const raw = process.env.RELIABILITY_SEED;
  if (raw !== undefined && raw.trim() !== '') {
    const seed = Number(raw);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new Error(`RELIABILITY_SEED must be an integer in 0..4294967295 (got "${raw}")`);
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

/** A per-purpose seed derived from the run's seed, so that adding a stream elsewhere does not shift this one. */
export function deriveSeed(seed: number, label: string): number {
  let hash = seed ^ 0x9e3779b9;
  for (let i = 0; i < label.length; i += 1)
    hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A size for this run: RELIABILITY_<NAME> wins, then the goal, soak or CI default (the goal defaults to the soak's). */
export function sized(name: string, ci: number, soak: number, goal = soak): number {
  const raw = process.env[`RELIABILITY_${name}`];
  if (raw !== undefined && raw.trim() !== '') {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`RELIABILITY_${name} must be a non-negative number (got "${raw}")`);
    return value;
  }
  return reliabilitySize === 'goal' ? goal : isSoak ? soak : ci;
}

/** Prints the seed when a test of this file fails, with the command that replays it. */
export function describeSeed(seed: number, file: string): string {
  return `reliability seed ${seed}: replay with RELIABILITY_SEED=${seed} npx jest ${file}`;
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/** What one request came back with, as the client can tell. */
export type Answer =
  | {
      kind: 'success';
      transactionId?: string;
      holdId?: string;
      changesetId?: string;
      replayed: boolean;
    }
  | { kind: 'refused'; code: string }
  | { kind: 'reused' }
  /** No answer, or SERVICE_UNAVAILABLE: the client cannot know whether the request was applied. */
  | { kind: 'unknown'; reason: string }
  /**
   * BAD_USER_INPUT on a credit's expiresAt because it has passed: no request had decided the key
   * when this one took the wallet lock, and none can any more (every input of the key carries the
   * same expiresAt), so the key must stay without an outcome. Only after the expiry really passed.
   */
  | { kind: 'lapsed' }
  /** Anything the contract does not allow for a well-formed request: always a breach. */
  | { kind: 'unexpected'; detail: string };

/** Business refusals: recorded against the key and replayed. LIMIT_EXCEEDED and WALLET_FROZEN come from the admin's limits and freezes. */
const refusalCodes = new Set([
  'INSUFFICIENT_FUNDS',
  'HOLD_NOT_ACTIVE',
  'ALREADY_REVERSED',
  'LIMIT_EXCEEDED',
  'WALLET_FROZEN',
]);

/** Response fields of each mutation, and where its result ids are. */
const resultPaths: Record<
  OperationKind,
  { field: string; transaction: boolean; hold: boolean; changeset?: boolean }
> = {
  topup: { field: 'topup', transaction: true, hold: false },
  bonus: { field: 'bonus', transaction: true, hold: false },
  spend: { field: 'spend', transaction: true, hold: false },
  hold: { field: 'hold', transaction: false, hold: true },
  captureHold: { field: 'captureHold', transaction: true, hold: false },
  releaseHold: { field: 'releaseHold', transaction: false, hold: true },
  reverse: { field: 'reverse', transaction: true, hold: false },
  transfer: { field: 'transfer', transaction: true, hold: false },
  changeset: { field: 'applyChangeset', transaction: false, hold: false, changeset: true },
};

/** Classifies a GraphQL response (or a transport failure) of a mutation into an Answer. */
export function classify(
  kind: OperationKind,
  response: { status: number; body: any } | { error: string },
): Answer {
  if ('error' in response) return { kind: 'unknown', reason: response.error };
  const { status, body } = response;
  const paths = resultPaths[kind];
  const payload = body?.data?.[paths.field];
  if (payload && !body.errors) {
    return {
      kind: 'success',
      transactionId: paths.transaction ? payload.transaction?.id : undefined,
      holdId: paths.hold ? payload.hold?.id : undefined,
      changesetId: paths.changeset ? payload.changesetId : undefined,
      replayed: payload.replayed === true,
    };
  }
  const code = body?.errors?.[0]?.extensions?.code;
  if (code === 'IDEMPOTENCY_KEY_REUSED') return { kind: 'reused' };
  if (typeof code === 'string' && refusalCodes.has(code)) return { kind: 'refused', code };
  if (code === 'SERVICE_UNAVAILABLE') return { kind: 'unknown', reason: 'SERVICE_UNAVAILABLE' };
  const error = body?.errors?.[0];
  if (
    code === 'BAD_USER_INPUT' &&
    /(^|\.)expiresAt$/.test(String(error?.extensions?.field)) &&
    /in the future/.test(String(error?.message))
  )
    return { kind: 'lapsed' };
  return { kind: 'unexpected', detail: `HTTP ${status}: ${JSON.stringify(body).slice(0, 500)}` };
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

export type OperationKind =
  | 'topup'
  | 'bonus'
  | 'spend'
  | 'hold'
  | 'captureHold'
  | 'releaseHold'
  | 'reverse'
  | 'transfer'
  | 'changeset';

export const transferKinds: OperationKind[] = ['topup', 'bonus', 'spend'];
export const holdKinds: OperationKind[] = ['hold', 'captureHold', 'releaseHold', 'reverse'];
/** The v2 multi-wallet operations, named by their mutation field. */
const multiWalletKinds: [OperationKind, string][] = [
  ['transfer', 'transfer'],
  ['changeset', 'applyChangeset'],
];

/** Holds, captures, releases, reversals, transfers and changesets join the mix once the schema has them. */
export function availableKinds(): OperationKind[] {
  const fields = buildGatewaySchema().getMutationType()?.getFields() ?? {};
  return [
    ...transferKinds,
    ...holdKinds.filter((kind) => kind in fields),
    ...multiWalletKinds.filter(([, field]) => field in fields).map(([kind]) => kind),
  ];
}

const PAYLOAD = 'replayed transaction { id }';
const mutations: Record<OperationKind, string> = {
  topup: `mutation($input: TopupInput!) { topup(input: $input) { ${PAYLOAD} } }`,
  bonus: `mutation($input: BonusInput!) { bonus(input: $input) { ${PAYLOAD} } }`,
  spend: `mutation($input: SpendInput!) { spend(input: $input) { ${PAYLOAD} } }`,
  hold: `mutation($input: HoldInput!) { hold(input: $input) { replayed hold { id } } }`,
  captureHold: `mutation($input: CaptureHoldInput!) { captureHold(input: $input) { ${PAYLOAD} } }`,
  releaseHold: `mutation($holdId: ID!, $key: String!) { releaseHold(holdId: $holdId, idempotencyKey: $key) { replayed hold { id } } }`,
  reverse: `mutation($input: ReverseInput!) { reverse(input: $input) { ${PAYLOAD} } }`,
  transfer: `mutation($input: UserTransferInput!) { transfer(input: $input) { ${PAYLOAD} } }`,
  changeset: `mutation($input: ChangesetInput!) { applyChangeset(input: $input) { replayed changesetId transactions { id } } }`,
};

/**
 * One input a key is sent with, and what the ledger must hold if it is the one that decided the
 * key: columns of `transactions` (for a transaction) or of `holds` (for a new hold), as text.
 */
export interface Variant {
  variables: Record<string, unknown>;
  expectTransaction?: Record<string, string | null>;
  /** For a changeset: each leg's transaction, in leg order. */
  expectLegs?: Record<string, string | null>[];
  expectHold?: Record<string, string>;
  /** The users and assets the request touches, to tell whether a WALLET_FROZEN or LIMIT_EXCEEDED could be owed to the admin. */
  involves?: { users: string[]; assets: string[] };
  /** The earliest expiresAt the input carries (ms since the epoch), if any. */
  expiresAtMs?: number;
}

/** One planned request with its retries. Inputs that depend on earlier results are resolved when it runs. */
export interface PlannedOperation {
  index: number;
  client: string;
  kind: OperationKind;
  key: string;
  /** Further attempts after the first: the variant to send (0 = the original input) and whether it races the first. */
  retries: { changed: boolean; concurrent: boolean }[];
  /** Raw random choices, turned into variables once the operation's targets are known. */
  userId: string;
  asset: string;
  amount: number;
  /** For captures, releases and reversals: which earlier result to act on (an index into the run's results). */
  targetRoll: number;
  partialCapture: boolean;
  /** For transfers: the recipient (another user). */
  toUserId: string;
  /** For changesets: the legs (credit legs may expire). */
  legs: {
    userId: string;
    asset: string;
    kind: 'TOPUP' | 'BONUS' | 'SPEND';
    amount: number;
    expiresInMs: number | null;
  }[];
  /** For topups and bonuses: the credit's lot expires this long after the operation starts (null: never). */
  expiresInMs: number | null;
}

export interface WorkloadShape {
  seed: number;
  operations: number;
  clients: string[];
  users: string[];
  assets: string[];
  kinds: OperationKind[];
  /** Share of operations retried with the same key (2-5 attempts in all). */
  retryShare?: number;
  /** Share of retries sent with a changed input. */
  changedShare?: number;
  /** Share of retries sent at the same time as the first attempt. */
  concurrentShare?: number;
  /** Share of credits (topups, bonuses, changeset credit legs) whose lot expires a few seconds later. */
  expiringShare?: number;
  /** How far ahead an expiring credit's expiresAt is, [min, max] ms: short, so that lots expire and are swept during the run. */
  expiresInMs?: [number, number];
}

const kindWeights: Record<OperationKind, number> = {
  topup: 25,
  bonus: 10,
  spend: 40,
  hold: 12,
  captureHold: 6,
  releaseHold: 4,
  reverse: 6,
  transfer: 12,
  changeset: 6,
};

/** The operations of a run, a pure function of the shape: the same seed gives the same list. */
export function planWorkload(shape: WorkloadShape): PlannedOperation[] {
  const random = new Random(shape.seed);
  // Expiries draw from a stream of their own, so that a seed still plans the operations it did before lots existed.
  const lotRandom = new Random(deriveSeed(shape.seed, 'lots'));
  const [expiresMinMs, expiresMaxMs] = shape.expiresInMs ?? [
    sized('EXPIRES_MIN_MS', 2000, 2000),
    sized('EXPIRES_MAX_MS', 8000, 8000),
  ];
  const expiresIn = () => {
    const expiring = lotRandom.chance(shape.expiringShare ?? 0.3);
    const ms = lotRandom.int(expiresMinMs, expiresMaxMs);
    return expiring ? ms : null;
  };
  const weights: Partial<Record<OperationKind, number>> = {};
  for (const kind of shape.kinds) weights[kind] = kindWeights[kind];
  const plan: PlannedOperation[] = [];
  for (let index = 0; index < shape.operations; index += 1) {
    const kind = random.weighted(weights);
    const retries: PlannedOperation['retries'] = [];
    if (random.chance(shape.retryShare ?? 0.3)) {
      const extra = random.int(1, 4);
      for (let r = 0; r < extra; r += 1) {
        retries.push({
          changed: random.chance(shape.changedShare ?? 0.25),
          concurrent: random.chance(shape.concurrentShare ?? 0.5),
        });
      }
    }
    // Keys are drawn from a space shared by all clients, so that two clients sometimes use the
    // same string (keys are scoped per client and must not collide) and the charset varies.
    const key = `${random.pick(['k', 'κλειδί', '鍵', '🔑', 'key with spaces', 'k"\'\\;--'])}-${shape.seed}-${random.int(0, shape.operations * 4)}-${index}`;
    const userId = random.pick(shape.users);
    const others = shape.users.filter((user) => user !== userId);
    const toUserId = others.length > 0 ? random.pick(others) : userId;
    const legs: PlannedOperation['legs'] = [];
    if (kind === 'changeset') {
      for (let leg = random.int(1, 4); leg > 0; leg -= 1) {
        const legKind = random.pick(['TOPUP', 'BONUS', 'SPEND'] as const);
        const expiresInMs = expiresIn();
        legs.push({
          userId: random.pick(shape.users),
          asset: random.pick(shape.assets),
          kind: legKind,
          amount: random.int(1, 200),
          expiresInMs: legKind === 'SPEND' ? null : expiresInMs,
        });
      }
    }
    plan.push({
      index,
      client: random.pick(shape.clients),
      kind,
      key,
      retries,
      userId,
      asset: random.pick(shape.assets),
      amount:
        kind === 'spend' || kind === 'hold' || kind === 'transfer'
          ? random.int(2, 400)
          : random.int(1, 300),
      targetRoll: random.float(),
      partialCapture: random.chance(0.5),
      toUserId,
      legs,
      expiresInMs: kind === 'topup' || kind === 'bonus' ? expiresIn() : null,
    });
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping
// ---------------------------------------------------------------------------------------------

export interface KeyRecord {
  client: string;
  key: string;
  kind: OperationKind;
  variants: Variant[];
  attempts: { variant: number; answer: Answer }[];
}

export interface BookStats {
  keys: number;
  requests: number;
  retries: number;
  changedInputRetries: number;
  concurrentRetries: number;
  lostAnswerRetries: number;
  successes: number;
  replays: number;
  refusals: number;
  reusedRefusals: number;
  unknownAnswers: number;
  /** Expiring credits whose expiresAt passed before any of their requests was decided (never applied). */
  lapsedCredits: number;
  unexpected: number;
  /** Refusals by code. */
  refusalCodes: Record<string, number>;
}

/** Acknowledged transactions and holds of the run, for captures, releases and reversals to act on. */
export interface RunResults {
  /** Each with the client that made it: holds and transactions belong to their client (captures, releases, reversals). */
  transactions: {
    id: string;
    kind: OperationKind;
    amount: bigint;
    userId: string;
    asset: string;
    client: string;
  }[];
  holds: { id: string; amount: bigint; userId: string; asset: string; client: string }[];
}

/** Everything the clients sent and heard, per (client, key). */
export class Bookkeeper {
  readonly records = new Map<string, KeyRecord>();
  readonly results: RunResults = { transactions: [], holds: [] };
  readonly counters = { changedInputRetries: 0, concurrentRetries: 0, lostAnswerRetries: 0 };
  /** What the admin client did (see runAdmin): a WALLET_FROZEN or LIMIT_EXCEEDED must be owed to it. */
  readonly admin: AdminRecord = {
    frozenUsers: new Set(),
    limitedAssets: new Set(),
    limitsSet: 0,
    limitsCleared: 0,
    freezes: 0,
    unfreezes: 0,
    requests: 0,
    unexpected: [],
  };

  private id(client: string, key: string): string {
    return `${client}\u0000${key}`;
  }

  open(client: string, key: string, kind: OperationKind, variants: Variant[]): KeyRecord {
    const record: KeyRecord = { client, key, kind, variants, attempts: [] };
    this.records.set(this.id(client, key), record);
    return record;
  }

  record(record: KeyRecord, variant: number, answer: Answer): void {
    record.attempts.push({ variant, answer });
  }

  stats(): BookStats {
    const stats: BookStats = {
      keys: this.records.size,
      requests: 0,
      retries: 0,
      ...this.counters,
      successes: 0,
      replays: 0,
      refusals: 0,
      reusedRefusals: 0,
      unknownAnswers: 0,
      lapsedCredits: 0,
      unexpected: 0,
      refusalCodes: {},
    };
    for (const record of this.records.values()) {
      stats.requests += record.attempts.length;
      stats.retries += Math.max(0, record.attempts.length - 1);
      for (const { answer } of record.attempts) {
        if (answer.kind === 'success') {
          if (answer.replayed) stats.replays += 1;
          else stats.successes += 1;
        } else if (answer.kind === 'refused') {
          stats.refusals += 1;
          stats.refusalCodes[answer.code] = (stats.refusalCodes[answer.code] ?? 0) + 1;
        } else if (answer.kind === 'reused') stats.reusedRefusals += 1;
        else if (answer.kind === 'unknown') stats.unknownAnswers += 1;
        else if (answer.kind === 'lapsed') continue;
        else stats.unexpected += 1;
      }
      if (record.attempts.some((a) => a.answer.kind === 'lapsed')) stats.lapsedCredits += 1;
    }
    return stats;
  }

  /** Keys whose outcome no answer has revealed yet (every answer lost): the ones to retry. A lapsed key is known to have none. */
  undecided(): KeyRecord[] {
    return [...this.records.values()].filter(
      (r) =>
        !r.attempts.some(
          (a) =>
            a.answer.kind === 'success' ||
            a.answer.kind === 'refused' ||
            a.answer.kind === 'lapsed',
        ),
    );
  }

  /**
   * The client-side half of the invariants, checked against the database: every acknowledged
   * success is in the ledger exactly once and matches its input; every replay returned the
   * original; every changed-input reuse got IDEMPOTENCY_KEY_REUSED; every refusal left no trace
   * but its recorded outcome; exactly one outcome per (client, key), and nothing the clients never
   * asked for. `allDecided` also requires that every key's outcome is known (after a resolution pass).
   */
  async check(prisma: PrismaClient, options: { allDecided?: boolean } = {}): Promise<string[]> {
    const breaches: string[] = [];
    const clients = [...new Set([...this.records.values()].map((r) => r.client))];
    const keys = await prisma.$queryRawUnsafe<
      {
        client_id: string;
        key: string;
        operation: string;
        outcome: string;
        error_code: string | null;
        transaction_id: string | null;
        hold_id: string | null;
        changeset_id: string | null;
      }[]
    >(
      `/* bookkeepingKeys */ SELECT client_id, key, operation, outcome::text AS outcome, error_code, transaction_id::text AS transaction_id, hold_id::text AS hold_id,
         changeset_id::text AS changeset_id
       FROM idempotency_keys WHERE client_id = ANY($1::text[])`,
      clients,
    );
    const transactions = await prisma.$queryRawUnsafe<Record<string, string | null>[]>(
      `/* bookkeepingTransactions */ SELECT id::text AS id, client_id, idempotency_key, kind::text AS kind, user_id, asset_code, amount::text AS amount,
         reverses_id::text AS reverses_id, hold_id::text AS hold_id, counterparty_user_id, changeset_id::text AS changeset_id, leg_index::text AS leg_index
       FROM transactions WHERE client_id = ANY($1::text[]) ORDER BY id`,
      clients,
    );
    const holds = await prisma
      .$queryRawUnsafe<Record<string, string | null>[]>(
        `/* bookkeepingHolds */ SELECT id::text AS id, client_id, idempotency_key, user_id, asset_code, amount::text AS amount
       FROM holds WHERE client_id = ANY($1::text[])`,
        clients,
      )
      .catch(() => [] as Record<string, string | null>[]);

    const keyOf = (client: string | null, key: string | null) => this.id(client ?? '', key ?? '');
    const keyRows = new Map(keys.map((row) => [keyOf(row.client_id, row.key), row]));
    const txByKey = new Map<string, Record<string, string | null>[]>();
    for (const row of transactions) {
      const id = keyOf(row.client_id!, row.idempotency_key!);
      txByKey.set(id, [...(txByKey.get(id) ?? []), row]);
    }
    const holdByKey = new Map(
      holds.map((row) => [keyOf(row.client_id!, row.idempotency_key!), row]),
    );
    const breach = (record: KeyRecord, message: string) =>
      breaches.push(
        `${record.kind} ${JSON.stringify(record.key)} of ${record.client}: ${message}; answers ${JSON.stringify(record.attempts)}`,
      );

    for (const [id, record] of this.records) {
      const answers = record.attempts.map((a) => a.answer);
      const row = keyRows.get(id);
      const txRows = txByKey.get(id) ?? [];
      const holdRow = holdByKey.get(id);
      if (txRows.length > 1 && record.kind !== 'changeset')
        breach(record, `${txRows.length} transactions for one key`);
      for (const answer of answers)
        if (answer.kind === 'unexpected') breach(record, `unexpected answer ${answer.detail}`);

      // Every success answer names the same result, and at most one of them is not a replay.
      const successes = answers.filter(
        (a): a is Extract<Answer, { kind: 'success' }> => a.kind === 'success',
      );
      const resultIds = new Set(
        successes.map((a) => `${a.transactionId ?? ''}/${a.holdId ?? ''}/${a.changesetId ?? ''}`),
      );
      if (resultIds.size > 1) breach(record, 'replays returned different results');
      if (successes.filter((a) => !a.replayed).length > 1)
        breach(record, 'more than one answer says it was applied (replayed: false)');

      // The deciding input: the only variant with decisive answers, all of them the same.
      const decisive = record.attempts.filter(
        (a) => a.answer.kind === 'success' || a.answer.kind === 'refused',
      );
      const decidingVariants = new Set(decisive.map((a) => a.variant));
      if (decidingVariants.size > 1)
        breach(
          record,
          'more than one input of one key got a result or refusal (a changed input was not IDEMPOTENCY_KEY_REUSED)',
        );
      const kinds = new Set(
        decisive.map((a) => (a.answer.kind === 'refused' ? `refused:${a.answer.code}` : 'success')),
      );
      if (kinds.size > 1)
        breach(record, 'one key got both a result and a refusal, or different refusals');
      const decidedVariant = decisive[0]?.variant;
      for (const attempt of record.attempts) {
        if (attempt.answer.kind === 'reused' && attempt.variant === decidedVariant)
          breach(record, 'the deciding input itself got IDEMPOTENCY_KEY_REUSED');
      }

      // A lapsed answer proves that no request had decided the key when it took the wallet lock, and
      // that none could afterwards (its expiresAt had passed): the key must have no outcome at all.
      const lapsed = answers.some((a) => a.kind === 'lapsed');
      if (lapsed && (decisive.length > 0 || row || txRows.length > 0 || holdRow)) {
        breach(
          record,
          `an answer said expiresAt had passed before a decision, yet the key has an outcome (${JSON.stringify(row)}, ${txRows.length} transactions)`,
        );
      }
      // Limits and freezes: each such refusal is owed to something the admin did, and a freeze never stops what the contract lets through.
      for (const attempt of decisive) {
        if (attempt.answer.kind !== 'refused') continue;
        const involves = record.variants[attempt.variant]!.involves ?? { users: [], assets: [] };
        if (attempt.answer.code === 'WALLET_FROZEN') {
          if (!involves.users.some((user) => this.admin.frozenUsers.has(user)))
            breach(
              record,
              `WALLET_FROZEN, but the admin never froze any of ${JSON.stringify(involves.users)}`,
            );
          if (
            record.kind === 'topup' ||
            record.kind === 'bonus' ||
            record.kind === 'reverse' ||
            record.kind === 'releaseHold'
          )
            breach(
              record,
              `WALLET_FROZEN for a ${record.kind}, which the contract lets through a freeze`,
            );
        }
        if (
          attempt.answer.code === 'LIMIT_EXCEEDED' &&
          !involves.assets.some((asset) => this.admin.limitedAssets.has(asset))
        ) {
          breach(
            record,
            `LIMIT_EXCEEDED, but the admin never set limits on any of ${JSON.stringify(involves.assets)}`,
          );
        }
      }

      const decided = decisive[0]?.answer;
      if (decided?.kind === 'success') {
        if (!row || row.outcome !== 'SUCCEEDED')
          breach(
            record,
            `acknowledged success but the key's recorded outcome is ${row ? row.outcome : 'missing'}`,
          );
        if (decided.transactionId !== undefined) {
          const tx = txRows[0];
          if (!tx || tx.id !== decided.transactionId)
            breach(
              record,
              `acknowledged transaction ${decided.transactionId} is not in the ledger under its key (found ${tx?.id ?? 'none'})`,
            );
          else if (!matches(tx, record.variants[decidedVariant!]!.expectTransaction))
            breach(
              record,
              `ledger transaction ${JSON.stringify(tx)} does not match the acknowledged input`,
            );
          if (row && row.transaction_id !== decided.transactionId)
            breach(
              record,
              `the key records transaction ${row.transaction_id}, the client was told ${decided.transactionId}`,
            );
        }
        if (decided.holdId !== undefined && record.kind === 'hold') {
          if (!holdRow || holdRow.id !== decided.holdId)
            breach(record, `acknowledged hold ${decided.holdId} is not stored under its key`);
          else if (!matches(holdRow, record.variants[decidedVariant!]!.expectHold))
            breach(record, `hold ${JSON.stringify(holdRow)} does not match the acknowledged input`);
        }
        if (decided.holdId !== undefined && row && row.hold_id !== decided.holdId)
          breach(
            record,
            `the key records hold ${row.hold_id}, the client was told ${decided.holdId}`,
          );
        if (record.kind === 'changeset') {
          const expected = record.variants[decidedVariant!]!.expectLegs ?? [];
          const legs = [...txRows].sort((a, b) => Number(a.leg_index) - Number(b.leg_index));
          if (!row || row.changeset_id !== decided.changesetId)
            breach(
              record,
              `the key records changeset ${row?.changeset_id}, the client was told ${decided.changesetId}`,
            );
          if (legs.length !== expected.length)
            breach(
              record,
              `changeset has ${legs.length} transactions, ${expected.length} legs were sent`,
            );
          legs.forEach((leg, i) => {
            if (leg.changeset_id !== decided.changesetId || !matches(leg, expected[i]))
              breach(record, `changeset leg ${JSON.stringify(leg)} does not match leg ${i} sent`);
          });
        }
      } else if (decided?.kind === 'refused') {
        if (!row || row.outcome !== 'REFUSED' || row.error_code !== decided.code)
          breach(
            record,
            `refusal ${decided.code} is not the key's recorded outcome (${JSON.stringify(row)})`,
          );
        if (txRows.length > 0) breach(record, `a refused key has transaction ${txRows[0]!.id}`);
        if (holdRow) breach(record, `a refused key created hold ${holdRow.id}`);
      } else {
        // No decisive answer. A reuse answer proves an outcome exists; otherwise there may be none.
        if (answers.some((a) => a.kind === 'reused') && !row)
          breach(record, 'IDEMPOTENCY_KEY_REUSED for a key with no recorded outcome');
        if (options.allDecided && !lapsed)
          breach(record, 'the outcome of this key was never learned');
        // Whatever was applied must be one of the inputs actually sent.
        const tx = txRows[0];
        if (
          tx &&
          !record.variants.some(
            (v, i) =>
              record.attempts.some((a) => a.variant === i) && matches(tx, v.expectTransaction),
          )
        ) {
          breach(
            record,
            `ledger transaction ${JSON.stringify(tx)} matches no input sent with this key`,
          );
        }
      }
    }

    // Nothing in the database that no client asked for.
    for (const row of keys)
      if (!this.records.has(keyOf(row.client_id, row.key)))
        breaches.push(`idempotency key ${JSON.stringify(row)} was never sent`);
    for (const row of transactions)
      if (!this.records.has(keyOf(row.client_id!, row.idempotency_key!)))
        breaches.push(`transaction ${JSON.stringify(row)} was never requested`);
    for (const row of holds)
      if (!this.records.has(keyOf(row.client_id!, row.idempotency_key!)))
        breaches.push(`hold ${JSON.stringify(row)} was never requested`);
    for (const detail of this.admin.unexpected) breaches.push(`admin: ${detail}`);
    return breaches;
  }
}

function matches(
  row: Record<string, string | null>,
  expected: Record<string, string | null> | undefined,
): boolean {
  if (!expected) return true;
  return Object.entries(expected).every(([column, value]) => row[column] === value);
}

/** The ledger's SQL invariants plus this bookkeeping; an empty list means the run kept every promise. */
export async function findAllBreaches(
  prisma: PrismaClient,
  book: Bookkeeper,
  options: { allDecided?: boolean } = {},
): Promise<string[]> {
  return [...(await findInvariantBreaches(prisma)), ...(await book.check(prisma, options))];
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/** Sends one GraphQL request as `client`; resolves to the HTTP answer, or to `{ error }` when none came. */
export type Send = (
  client: string,
  query: string,
  variables: Record<string, unknown>,
) => Promise<{ status: number; body: any } | { error: string }>;

/** A Send over HTTP with one bearer token per client and a bound on how long an answer may take. */
export function httpSender(
  url: () => string,
  tokens: Map<string, string>,
  timeoutMs = 15_000,
): Send {
  return async (client, query, variables) => {
    try {
      const response = await fetch(url(), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${tokens.get(client)}`,
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      try {
        return { status: response.status, body: JSON.parse(text) };
      } catch {
        return { status: response.status, body: { nonJson: text.slice(0, 200) } };
      }
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return { error: cause?.code ?? (error as Error).name ?? 'fetch failed' };
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The admin: limits and freezes
// ---------------------------------------------------------------------------------------------

/** What the admin client did in a run. Users and assets are noted before the request is sent, since a lost answer may still have applied. */
export interface AdminRecord {
  frozenUsers: Set<string>;
  limitedAssets: Set<string>;
  limitsSet: number;
  limitsCleared: number;
  freezes: number;
  unfreezes: number;
  requests: number;
  /** Answers the contract does not allow an admin's well-formed request. */
  unexpected: string[];
}

export interface AdminPlan {
  /** The admin's client id (its token in the Send's map must carry the admin role). */
  client: string;
  seed: number;
  users: string[];
  assets: string[];
  /** Pause between two actions, [min, max] ms. */
  pauseMs?: [number, number];
  /** How long a limit or a freeze stays before it is lifted, [min, max] ms. */
  holdMs?: [number, number];
}

const SET_LIMITS =
  'mutation($asset: ID!, $limits: AssetLimitsInput!) { setAssetLimits(asset: $asset, limits: $limits) { code limits { balanceMax dailyBonusMax dailyTransferOutMax } } }';
const SET_STATUS =
  'mutation($userId: ID!, $asset: ID, $status: WalletStatus!, $reason: String) { setWalletStatus(userId: $userId, asset: $asset, status: $status, reason: $reason) { asset { code } status } }';
const noLimits = { balanceMax: null, dailyBonusMax: null, dailyTransferOutMax: null };

/**
 * An admin that, until `stop`, now and then sets an asset's limits or freezes a user or one of
 * their wallets, and lifts it again a moment later, so that LIMIT_EXCEEDED and WALLET_FROZEN join
 * the refusals the workload must record and replay. Each request is retried until it is answered
 * (kills and outages lose answers; both mutations are safe to repeat). At the end every limit and
 * freeze it set is lifted, so that the resolution pass meets the wallets as they normally are.
 */
export async function runAdmin(
  plan: AdminPlan,
  book: Bookkeeper,
  send: Send,
  stop: () => boolean,
): Promise<void> {
  const random = new Random(plan.seed);
  const admin = book.admin;
  const [pauseMinMs, pauseMaxMs] = plan.pauseMs ?? [300, 1500];
  const [holdMinMs, holdMaxMs] = plan.holdMs ?? [300, 2000];
  const call = async (
    query: string,
    variables: Record<string, unknown>,
    field: string,
    untilMs: number,
  ): Promise<boolean> => {
    for (;;) {
      admin.requests += 1;
      const response = await send(plan.client, query, variables);
      if (!('error' in response)) {
        if (response.body?.data?.[field] && !response.body.errors) return true;
        const code = response.body?.errors?.[0]?.extensions?.code;
        if (code !== 'SERVICE_UNAVAILABLE' && code !== 'RATE_LIMITED') {
          admin.unexpected.push(
            `${field}(${JSON.stringify(variables)}) answered HTTP ${response.status}: ${JSON.stringify(response.body).slice(0, 300)}`,
          );
          return false;
        }
      }
      if (Date.now() > untilMs) return false;
      await sleep(100);
    }
  };
  const liftDeadlineMs = 120_000;
  const lift = async (
    what: string,
    query: string,
    variables: Record<string, unknown>,
    field: string,
  ) => {
    if (!(await call(query, variables, field, Date.now() + liftDeadlineMs)))
      admin.unexpected.push(`could not ${what} within ${liftDeadlineMs} ms`);
  };
  while (!stop()) {
    await sleep(random.int(pauseMinMs, pauseMaxMs));
    if (stop()) break;
    const holdMs = random.int(holdMinMs, holdMaxMs);
    const action = random.weighted({ limits: 2, freezeUser: 1, freezeWallet: 1 });
    const userId = random.pick(plan.users);
    const asset = random.pick(plan.assets);
    if (action === 'limits') {
      // Small enough to bite on the hot wallets; daily sums run over the whole UTC day, so a
      // daily limit soon refuses everything until it is cleared.
      const maybe = (min: number, max: number) =>
        random.chance(0.5) ? String(random.int(min, max)) : null;
      const limits = {
        balanceMax: maybe(100, 3000),
        dailyBonusMax: maybe(50, 3000),
        dailyTransferOutMax: maybe(50, 3000),
      };
      if (
        limits.balanceMax === null &&
        limits.dailyBonusMax === null &&
        limits.dailyTransferOutMax === null
      )
        limits.balanceMax = '3000';
      admin.limitedAssets.add(asset);
      if (
        !(await call(SET_LIMITS, { asset, limits }, 'setAssetLimits', Date.now() + liftDeadlineMs))
      )
        continue;
      admin.limitsSet += 1;
      await sleep(holdMs);
      await lift(
        `clear the limits of ${asset}`,
        SET_LIMITS,
        { asset, limits: noLimits },
        'setAssetLimits',
      );
      admin.limitsCleared += 1;
    } else {
      const variables = {
        userId,
        ...(action === 'freezeWallet' ? { asset } : {}),
        reason: `reliability workload ${plan.seed}`,
      };
      admin.frozenUsers.add(userId);
      if (
        !(await call(
          SET_STATUS,
          { ...variables, status: 'FROZEN' },
          'setWalletStatus',
          Date.now() + liftDeadlineMs,
        ))
      )
        continue;
      admin.freezes += 1;
      await sleep(holdMs);
      await lift(
        `unfreeze ${JSON.stringify(variables)}`,
        SET_STATUS,
        { ...variables, status: 'ACTIVE' },
        'setWalletStatus',
      );
      admin.unfreezes += 1;
    }
  }
  // A set whose answer was lost may have applied: lift everything the admin ever touched.
  for (const asset of admin.limitedAssets)
    await lift(
      `clear the limits of ${asset}`,
      SET_LIMITS,
      { asset, limits: noLimits },
      'setAssetLimits',
    );
  for (const userId of admin.frozenUsers) {
    await lift(`unfreeze ${userId}`, SET_STATUS, { userId, status: 'ACTIVE' }, 'setWalletStatus');
    for (const asset of plan.assets)
      await lift(
        `unfreeze ${userId}/${asset}`,
        SET_STATUS,
        { userId, asset, status: 'ACTIVE' },
        'setWalletStatus',
      );
  }
}

export interface RunOptions {
  plan: PlannedOperation[];
  book: Bookkeeper;
  send: Send;
  /** Requests in flight at once (each worker runs one operation with its retries at a time). */
  concurrency: number;
  /** When an answer is lost, how often to retry the same key and input before moving on (it is retried again in `resolveUndecided`). */
  lostRetries?: number;
  lostRetryDelayMs?: number;
  /** Stops taking new operations when it returns true. */
  stop?: () => boolean;
  /** An admin setting limits and freezes alongside the workers, until they are done (see runAdmin). */
  admin?: AdminPlan;
}

/** Turns a planned operation into its inputs, picking targets among the run's acknowledged results. */
function resolveVariants(op: PlannedOperation, all: RunResults): Variant[] | undefined {
  // A client acts only on its own holds and transactions (another client's answer FORBIDDEN).
  const results = ownResults(all, op.client);
  const changedAmount = (amount: number) => amount + 1;
  // Fixed once per operation, so that every retry of the key sends the same expiresAt.
  const expiresAt = (inMs: number | null) =>
    inMs === null ? undefined : new Date(Date.now() + inMs).toISOString();
  const creditExpiresAt =
    op.kind === 'topup' || op.kind === 'bonus' ? expiresAt(op.expiresInMs) : undefined;
  const transfer = (amount: number): Variant => ({
    variables: {
      input: {
        userId: op.userId,
        asset: op.asset,
        amount: String(amount),
        idempotencyKey: op.key,
        reference: `op-${op.index}`,
        ...(creditExpiresAt ? { expiresAt: creditExpiresAt } : {}),
      },
    },
    expectTransaction: {
      kind: op.kind.toUpperCase(),
      user_id: op.userId,
      asset_code: op.asset,
      amount: String(amount),
    },
    involves: { users: [op.userId], assets: [op.asset] },
    ...(creditExpiresAt ? { expiresAtMs: Date.parse(creditExpiresAt) } : {}),
  });
  switch (op.kind) {
    case 'topup':
    case 'bonus':
    case 'spend':
      return [transfer(op.amount), transfer(changedAmount(op.amount))];
    case 'hold': {
      const hold = (amount: number): Variant => ({
        variables: {
          input: {
            userId: op.userId,
            asset: op.asset,
            amount: String(amount),
            idempotencyKey: op.key,
            reference: `op-${op.index}`,
          },
        },
        expectHold: { user_id: op.userId, asset_code: op.asset, amount: String(amount) },
        involves: { users: [op.userId], assets: [op.asset] },
      });
      return [hold(op.amount), hold(changedAmount(op.amount))];
    }
    case 'captureHold': {
      if (results.holds.length === 0) return undefined;
      const target = results.holds[Math.floor(op.targetRoll * results.holds.length)]!;
      const capture = (amount: bigint | undefined): Variant => ({
        variables: {
          input: {
            holdId: target.id,
            idempotencyKey: op.key,
            ...(amount === undefined ? {} : { amount: amount.toString() }),
          },
        },
        expectTransaction: {
          kind: 'CAPTURE',
          user_id: target.userId,
          asset_code: target.asset,
          amount: (amount ?? target.amount).toString(),
          hold_id: target.id,
        },
        involves: { users: [target.userId], assets: [target.asset] },
      });
      const partial = op.partialCapture && target.amount > 2n ? target.amount - 1n : undefined;
      return [capture(partial), capture(partial === undefined ? target.amount - 1n : undefined)];
    }
    case 'releaseHold': {
      if (results.holds.length < 2) return undefined;
      const index = Math.floor(op.targetRoll * results.holds.length);
      const target = results.holds[index]!;
      const other = results.holds[(index + 1) % results.holds.length]!;
      return [
        { variables: { holdId: target.id, key: op.key } },
        { variables: { holdId: other.id, key: op.key } },
      ];
    }
    case 'transfer': {
      const transfer = (amount: number): Variant => ({
        variables: {
          input: {
            fromUserId: op.userId,
            toUserId: op.toUserId,
            asset: op.asset,
            amount: String(amount),
            idempotencyKey: op.key,
            reference: `op-${op.index}`,
          },
        },
        expectTransaction: {
          kind: 'TRANSFER',
          user_id: op.userId,
          counterparty_user_id: op.toUserId,
          asset_code: op.asset,
          amount: String(amount),
        },
        involves: { users: [op.userId, op.toUserId], assets: [op.asset] },
      });
      if (op.toUserId === op.userId) return undefined;
      return [transfer(op.amount), transfer(changedAmount(op.amount))];
    }
    case 'changeset': {
      const legExpiry = op.legs.map((leg) => expiresAt(leg.expiresInMs));
      const expiries = legExpiry
        .filter((at): at is string => at !== undefined)
        .map((at) => Date.parse(at));
      const changeset = (bump: number): Variant => {
        const legs = op.legs.map((leg, i) => ({
          userId: leg.userId,
          asset: leg.asset,
          kind: leg.kind,
          amount: String(i === 0 ? leg.amount + bump : leg.amount),
          ...(legExpiry[i] ? { expiresAt: legExpiry[i] } : {}),
        }));
        return {
          variables: { input: { legs, idempotencyKey: op.key, reference: `op-${op.index}` } },
          expectLegs: legs.map((leg, i) => ({
            kind: leg.kind,
            user_id: leg.userId,
            asset_code: leg.asset,
            amount: leg.amount,
            leg_index: String(i),
          })),
          involves: { users: legs.map((leg) => leg.userId), assets: legs.map((leg) => leg.asset) },
          ...(expiries.length > 0 ? { expiresAtMs: Math.min(...expiries) } : {}),
        };
      };
      return [changeset(0), changeset(1)];
    }
    case 'reverse': {
      const reversible = results.transactions;
      if (reversible.length < 2) return undefined;
      const index = Math.floor(op.targetRoll * reversible.length);
      const reverse = (target: RunResults['transactions'][number]): Variant => ({
        variables: {
          input: { transactionId: target.id, idempotencyKey: op.key, reason: `op-${op.index}` },
        },
        expectTransaction: {
          kind: 'REVERSAL',
          reverses_id: target.id,
          amount: target.amount.toString(),
          user_id: target.userId,
        },
        involves: { users: [target.userId], assets: [target.asset] },
      });
      return [reverse(reversible[index]!), reverse(reversible[(index + 1) % reversible.length]!)];
    }
  }
}

/**
 * One client's share of the run's results, kept up to date as results arrive: filtering the whole
 * list for every operation is quadratic, too slow for a goal-size run of 100,000 operations.
 */
const resultsByClient = new WeakMap<
  RunResults,
  { seen: { transactions: number; holds: number }; byClient: Map<string, RunResults> }
>();
function ownResults(all: RunResults, client: string): RunResults {
  let index = resultsByClient.get(all);
  if (!index)
    resultsByClient.set(
      all,
      (index = { seen: { transactions: 0, holds: 0 }, byClient: new Map() }),
    );
  const of = (owner: string) => {
    let own = index!.byClient.get(owner);
    if (!own) index!.byClient.set(owner, (own = { transactions: [], holds: [] }));
    return own;
  };
  for (; index.seen.transactions < all.transactions.length; index.seen.transactions += 1) {
    const t = all.transactions[index.seen.transactions]!;
    of(t.client).transactions.push(t);
  }
  for (; index.seen.holds < all.holds.length; index.seen.holds += 1) {
    const h = all.holds[index.seen.holds]!;
    of(h.client).holds.push(h);
  }
  return of(client);
}

function noteResult(
  op: PlannedOperation,
  variant: Variant,
  answer: Answer,
  results: RunResults,
): void {
  if (answer.kind !== 'success' || answer.replayed) return;
  const input = (variant.variables.input ?? {}) as Record<string, string>;
  if (op.kind === 'hold' && answer.holdId) {
    results.holds.push({
      id: answer.holdId,
      amount: BigInt(input.amount!),
      userId: input.userId!,
      asset: input.asset!,
      client: op.client,
    });
  } else if (
    (op.kind === 'topup' || op.kind === 'bonus' || op.kind === 'spend') &&
    answer.transactionId
  ) {
    results.transactions.push({
      id: answer.transactionId,
      kind: op.kind,
      amount: BigInt(input.amount!),
      userId: input.userId!,
      asset: input.asset!,
      client: op.client,
    });
  } else if (op.kind === 'captureHold' && answer.transactionId) {
    const expected = variant.expectTransaction!;
    results.transactions.push({
      id: answer.transactionId,
      kind: op.kind,
      amount: BigInt(expected.amount!),
      userId: expected.user_id!,
      asset: expected.asset_code!,
      client: op.client,
    });
  }
}

const sleep = (ms: number) => setTimeout(ms);

/**
 * Sends one input of a key and classifies the answer. A "lapsed" answer is believed only if the
 * input's expiresAt had passed by the time the answer came (the gateway checks it under the wallet
 * lock, which a request may wait for; the gateway and the test share one clock).
 */
async function sendVariant(
  send: Send,
  client: string,
  kind: OperationKind,
  variant: Variant,
): Promise<Answer> {
  const answer = classify(kind, await send(client, mutations[kind], variant.variables));
  const receivedAtMs = Date.now();
  if (
    answer.kind === 'lapsed' &&
    (variant.expiresAtMs === undefined || variant.expiresAtMs > receivedAtMs)
  ) {
    return {
      kind: 'unexpected',
      detail: `expiresAt refused as past, though it was ${variant.expiresAtMs === undefined ? 'not sent' : `still ${variant.expiresAtMs - receivedAtMs} ms ahead when the answer came`}`,
    };
  }
  return answer;
}

/** Sends one attempt and records it; lost answers are retried with the same key and input a few times. */
async function attempt(
  options: RunOptions,
  op: PlannedOperation,
  record: KeyRecord,
  variant: number,
): Promise<Answer> {
  const retriesMax = options.lostRetries ?? 0;
  for (let lost = 0; ; lost += 1) {
    const answer = await sendVariant(options.send, op.client, op.kind, record.variants[variant]!);
    options.book.record(record, variant, answer);
    noteResult(op, record.variants[variant]!, answer, options.book.results);
    if (answer.kind !== 'unknown' || lost >= retriesMax || options.stop?.()) return answer;
    options.book.counters.lostAnswerRetries += 1;
    await sleep(options.lostRetryDelayMs ?? 100);
  }
}

async function runOperation(options: RunOptions, op: PlannedOperation): Promise<void> {
  const variants = resolveVariants(op, options.book.results);
  if (!variants) return; // Nothing to act on yet (no hold or transaction acknowledged so far).
  const record = options.book.open(op.client, op.key, op.kind, variants);
  const variantOf = (retry: PlannedOperation['retries'][number]) => (retry.changed ? 1 : 0);
  const concurrent = op.retries.filter((r) => r.concurrent);
  const sequential = op.retries.filter((r) => !r.concurrent);
  options.book.counters.concurrentRetries += concurrent.length;
  options.book.counters.changedInputRetries += op.retries.filter((r) => r.changed).length;
  await Promise.all([
    attempt(options, op, record, 0),
    ...concurrent.map((r) => attempt(options, op, record, variantOf(r))),
  ]);
  for (const retry of sequential) await attempt(options, op, record, variantOf(retry));
}

/** Runs the plan with `concurrency` workers pulling operations in order. */
export async function runWorkload(options: RunOptions): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < options.plan.length && !options.stop?.()) {
      const op = options.plan[next++]!;
      await runOperation(options, op);
    }
  };
  let workersDone = false;
  const admin = options.admin
    ? runAdmin(
        options.admin,
        options.book,
        options.send,
        () => workersDone || options.stop?.() === true,
      )
    : undefined;
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    workersDone = true;
    await admin;
  }
}

/**
 * Retries every key whose outcome no answer revealed, with the same key and each input it was
 * sent with, until each has a decisive answer or the deadline passes.
 */
export async function resolveUndecided(
  options: Pick<RunOptions, 'book' | 'send'>,
  deadlineMs = 30_000,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  let pending = options.book.undecided();
  while (pending.length > 0 && Date.now() < until) {
    const queue = [...pending];
    const worker = async () => {
      for (let record = queue.shift(); record; record = queue.shift()) {
        const sent = [...new Set(record.attempts.map((a) => a.variant))];
        for (const variant of sent) {
          const answer = await sendVariant(
            options.send,
            record.client,
            record.kind,
            record.variants[variant]!,
          );
          options.book.record(record, variant, answer);
          options.book.counters.lostAnswerRetries += 1;
          if (answer.kind === 'success' || answer.kind === 'refused' || answer.kind === 'lapsed')
            break;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    pending = options.book.undecided();
    if (pending.length > 0) await sleep(200);
  }
}

/** Figures of the v2 parts of a run, for its log line: EXPIRY transactions the sweep posted, and what the admin did. */
export async function lotFigures(
  prisma: PrismaClient,
  book: Bookkeeper,
): Promise<Record<string, unknown>> {
  const [row] = await prisma.$queryRawUnsafe<{ expiries: bigint; expired: string | null }[]>(
    `/* lotFigures */ SELECT COUNT(*) AS expiries, SUM(amount)::text AS expired FROM transactions WHERE kind::text = 'EXPIRY'`,
  );
  // The sets are for the bookkeeping; the figures report only the counts.
  const {
    frozenUsers: _frozenUsers,
    limitedAssets: _limitedAssets,
    unexpected,
    ...admin
  } = book.admin;
  return {
    expiryTransactions: Number(row?.expiries ?? 0),
    expiredAmount: row?.expired ?? '0',
    admin: { ...admin, unexpected: unexpected.length },
  };
}
