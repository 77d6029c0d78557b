// Proves that the README's and docs' GraphQL examples run as written against the demo data (each page in order on a fresh demo database, with the token the example names): no errors, or exactly the refusal the page shows.
import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { useTestGateway } from '../support/use-test-gateway';
import type { GraphQLResponse, TestGateway } from '../support/gateway';
import { wsClient } from '../support/subscriptions';

const root = path.join(__dirname, '..', '..');

/**
 * The conventions a page follows (docs/testing.md, "Documentation examples"):
 * - a ```graphql block or a `gql '{"query": ...}'` line is run as the game server, unless it says
 *   `# as admin` / `# with $ADMIN` (an admin token) or `# as player <userId>` (that player's);
 * - an example marked `# illustrative` is not run (it needs an object of the reader's own), only
 *   validated against the schema (tests/unit/docs-examples.test.ts);
 * - an example whose documented answer is an error (the next `# {"errors": ...` line, or the
 *   ```json block right after the ```graphql block) must be refused with that answer's code.
 */
interface Example {
  at: string;
  body: { query: string; variables?: Record<string, unknown> };
  role: { kind: 'server' | 'admin' } | { kind: 'player'; userId: string };
  illustrative: boolean;
  expectedCode: string | undefined;
}

function roleOf(text: string): Example['role'] {
  const player = /# as player (\w+)/.exec(text);
  if (player) return { kind: 'player', userId: player[1]! };
  if (/# as admin|# with \$ADMIN/.test(text)) return { kind: 'admin' };
  return { kind: 'server' };
}

function codeOf(answer: string | undefined): string | undefined {
  if (!answer || !answer.includes('"errors"')) return undefined;
  return /"code":"(\w+)"/.exec(answer)?.[1];
}

export function examplesOf(file: string): Example[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const found: (Example & { index: number })[] = [];
  for (const match of text.matchAll(/```graphql\n([\s\S]*?)```\n(?:\n?```json\n([\s\S]*?)```)?/g)) {
    const block = match[1]!;
    found.push({
      index: match.index!,
      at: `${file}:${lineOf(match.index!)}`,
      body: { query: block },
      role: roleOf(block),
      illustrative: /# illustrative/.test(block),
      expectedCode: codeOf(match[2]),
    });
  }
  for (const match of text.matchAll(/gql '(\{"query":.*?\})'(.*)\n(# \{"errors".*)?/g)) {
    const rest = match[2]!;
    found.push({
      index: match.index!,
      at: `${file}:${lineOf(match.index!)}`,
      body: JSON.parse(match[1]!) as Example['body'],
      role: roleOf(rest),
      illustrative: /# illustrative/.test(rest),
      expectedCode: codeOf(match[3]),
    });
  }
  return found.sort((a, b) => a.index - b.index).map(({ index: _index, ...example }) => example);
}

/** One request per operation: a catalogue block lists several, which GraphQL runs one at a time. */
function operationsOf(
  query: string,
): { document: DocumentNode; operation: OperationDefinitionNode }[] {
  const document = parse(query);
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return document.definitions
    .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({
      operation,
      document: { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] },
    }));
}

async function tokenFor(t: TestGateway, role: Example['role']): Promise<string> {
  if (role.kind === 'player') return t.tokens.player(role.userId);
  return role.kind === 'admin' ? t.tokens.admin : t.tokens.server;
}

/** A subscription example: its first message (a replayed change, or its refusal) over graphql-ws. */
async function subscribeOnce(
  t: TestGateway,
  token: string,
  query: string,
  variables: Record<string, unknown> | undefined,
): Promise<Pick<GraphQLResponse, 'data' | 'errors'>> {
  const ws = wsClient(t.wsUrl, token);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 10 s')), 10_000);
      const stop = ws.client.subscribe(
        { query, variables },
        {
          next: (message) => {
            clearTimeout(timer);
            stop();
            resolve(message as Pick<GraphQLResponse, 'data' | 'errors'>);
          },
          error: (error) => {
            clearTimeout(timer);
            resolve({ errors: Array.isArray(error) ? error : [{ message: String(error) }] });
          },
          complete: () => undefined,
        },
      );
    });
  } finally {
    await ws.dispose();
  }
}

async function run(t: TestGateway, example: Example) {
  const token = await tokenFor(t, example.role);
  const answers: Pick<GraphQLResponse, 'data' | 'errors'>[] = [];
  for (const { document, operation } of operationsOf(example.body.query)) {
    const query = print(document);
    if (operation.operation === 'subscription')
      answers.push(await subscribeOnce(t, token, query, example.body.variables));
    else
      answers.push(
        await t.gql(query, example.body.variables, { authorization: `Bearer ${token}` }),
      );
  }
  return answers;
}

const pages = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
].filter((file) => examplesOf(file).length > 0);

describe.each(pages)('the examples of %s', (file) => {
  const t = useTestGateway(`docs-run-${path.basename(file, '.md').toLowerCase()}`, { seed: true });
  const examples = examplesOf(file);

  it.each(examples.map((e) => [e.at, e] as const))('%s runs as written', async (_at, example) => {
    if (example.illustrative) return; // validated by tests/unit/docs-examples.test.ts only
    const answers = await run(t, example);
    for (const answer of answers) {
      if (example.expectedCode === undefined) expect(answer.errors ?? []).toEqual([]);
      else expect(answer.errors?.[0]?.extensions?.code).toBe(example.expectedCode);
    }
  });
});

describe('the conventions the pages follow', () => {
  it('finds the examples, and runs most of them (few are illustrative)', () => {
    const all = pages.flatMap(examplesOf);
    expect(all.length).toBeGreaterThanOrEqual(40);
    expect(all.filter((e) => e.illustrative).length).toBeLessThanOrEqual(5);
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/lots.md']));
  });

  it('reads roles and expected refusals from the page', () => {
    const lots = examplesOf('docs/lots.md');
    expect(lots.some((e) => e.role.kind === 'admin')).toBe(true);
    expect(lots.filter((e) => e.expectedCode !== undefined).map((e) => e.expectedCode)).toEqual(
      expect.arrayContaining(['WALLET_FROZEN', 'LIMIT_EXCEEDED', 'INSUFFICIENT_FUNDS']),
    );
  });

  it('the README says where the websocket is and how connection_init carries the token', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain('ws://127.0.0.1:4000/graphql');
    expect(readme).toMatch(/connection_init[\s\S]{0,200}"authorization":\s*"Bearer /);
  });
});
