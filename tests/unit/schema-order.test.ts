// Proves schema.graphql is printed in reading order: root types first, the other types by name, arguments as the resolvers declare them (not reversed), and that the checked-in file is what the code prints.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, isObjectType } from 'graphql';
import { printGatewaySchema } from '../../src/app/schema';

const printed = printGatewaySchema();

describe('schema.graphql order', () => {
  it('lists Query, Mutation and Subscription first, then every other type by name', () => {
    const names = [...printed.matchAll(/^(?:type|input|enum|scalar|interface|union) (\w+)/gm)].map(
      (m) => m[1]!,
    );
    expect(names.slice(0, 3)).toEqual(['Query', 'Mutation', 'Subscription']);
    const rest = names.slice(3);
    expect(rest).toEqual([...rest].sort());
    expect(rest.length).toBeGreaterThan(20);
  });

  it('prints arguments in the order the resolver methods declare them', () => {
    const schema = buildSchema(printed);
    const argsOf = (type: string, field: string) => {
      const owner = schema.getType(type);
      if (!isObjectType(owner)) throw new Error(`${type} is not an object type`);
      return owner.getFields()[field]!.args.map((a) => a.name);
    };
    expect(argsOf('Query', 'balance')).toEqual(['userId', 'asset', 'at']);
    expect(argsOf('Query', 'ledger')).toEqual([
      'userId',
      'asset',
      'kinds',
      'since',
      'until',
      'reference',
      'first',
      'after',
    ]);
    expect(argsOf('Mutation', 'releaseHold')).toEqual(['holdId', 'idempotencyKey']);
    expect(argsOf('Subscription', 'balanceChanged')).toEqual(['userId', 'asset', 'afterSequence']);
  });

  it('is what the checked-in schema.graphql holds (npm run schema:emit rewrites it)', () => {
    expect(readFileSync(path.resolve(__dirname, '..', '..', 'schema.graphql'), 'utf8')).toBe(
      printed,
    );
  });
});
