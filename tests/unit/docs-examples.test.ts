// Proves that every GraphQL example in README.md and docs/*.md (```graphql blocks and the gql '{"query": ...}' shell examples) parses and validates against the checked-in schema.graphql.
import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  Kind,
  parse,
  validate,
  type DefinitionNode,
  type DocumentNode,
} from 'graphql';

const root = path.join(__dirname, '..', '..');
const schema = buildSchema(fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8'));
const files = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The examples of one markdown file, each with where it starts (for the failure message). */
function examplesOf(file: string): { at: string; text: string }[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const found: { at: string; text: string }[] = [];
  for (const match of text.matchAll(/```graphql\n([\s\S]*?)```/g))
    found.push({ at: `${file}:${lineOf(match.index!)}`, text: match[1]! });
  for (const match of text.matchAll(/gql '(\{"query":.*?\})'/g)) {
    // A shell example sends this JSON body as it is: it must be JSON with a query.
    const body = JSON.parse(match[1]!) as { query: string };
    found.push({ at: `${file}:${lineOf(match.index!)}`, text: body.query });
  }
  return found;
}

/**
 * The operations of an example, one document each with the example's fragments: a catalogue block
 * may list several anonymous operations, which GraphQL allows only one at a time.
 */
function operationsOf(document: DocumentNode): DocumentNode[] {
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return document.definitions
    .filter((d): d is DefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] }));
}

describe('documentation examples against schema.graphql', () => {
  const examples = files.flatMap(examplesOf);

  it('finds the examples (README and the lots page have several)', () => {
    expect(examples.filter((e) => e.at.startsWith('README.md')).length).toBeGreaterThanOrEqual(7);
    expect(examples.filter((e) => e.at.startsWith('docs/lots.md')).length).toBeGreaterThanOrEqual(
      10,
    );
  });

  it.each(examples.map((e) => [e.at, e.text]))('%s validates', (_at, text) => {
    const operations = operationsOf(parse(text));
    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) expect(validate(schema, operation).map(String)).toEqual([]);
  });

  it('would catch an example that names a field the schema does not have', () => {
    const [operation] = operationsOf(
      parse('{ balance(userId: "alice", asset: "GOLD_COINS") { balance paidBalance } }'),
    );
    expect(validate(schema, operation!).map(String).join('\n')).toMatch(
      /Cannot query field "paidBalance"/,
    );
  });
});
