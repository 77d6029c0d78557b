// Proves prisma/schema.prisma and the hand-written SQL migrations describe the same database: every model's table, column, type, nullability, enum and named index exists as declared, and the ORM reads every model.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client';
import { createTestDatabase } from '../support/test-database';

interface FieldDecl {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  isRelation: boolean;
}
interface ModelDecl {
  name: string;
  table: string;
  fields: FieldDecl[];
  indexNames: string[];
}

const schemaText = readFileSync(
  path.join(__dirname, '..', '..', 'prisma', 'schema.prisma'),
  'utf8',
);

function parseEnums(): Map<string, { dbName: string; values: string[] }> {
  const enums = new Map<string, { dbName: string; values: string[] }>();
  for (const match of schemaText.matchAll(/enum (\w+) \{([^}]*)\}/g)) {
    const body = match[2]!;
    const values = body
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[A-Z_]+$/.test(l));
    const dbName = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? match[1]!;
    enums.set(match[1]!, { dbName, values });
  }
  return enums;
}

function parseModels(): ModelDecl[] {
  const models: ModelDecl[] = [];
  const modelNames = new Set([...schemaText.matchAll(/model (\w+) \{/g)].map((m) => m[1]!));
  for (const match of schemaText.matchAll(/model (\w+) \{([^}]*)\}/g)) {
    const body = match[2]!;
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? match[1]!;
    const fields: FieldDecl[] = [];
    for (const line of body.split('\n').map((l) => l.trim())) {
      const field = /^(\w+)\s+(\w+)(\?|\[\])?(.*)$/.exec(line);
      if (!field || line.startsWith('@@')) continue;
      const [, name, type, modifier, rest] = field;
      fields.push({
        name: name!,
        type: type!,
        optional: modifier === '?',
        list: modifier === '[]',
        column: /@map\("([^"]+)"\)/.exec(rest!)?.[1] ?? name!,
        isRelation: modelNames.has(type!),
      });
    }
    const indexNames = [...body.matchAll(/map: "([^"]+)"/g)].map((m) => m[1]!);
    models.push({ name: match[1]!, table, fields, indexNames });
  }
  return models;
}

const scalarTypes: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  DateTime: 'timestamp with time zone',
  Json: 'jsonb',
  Boolean: 'boolean',
};

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase('schemasync');
  client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

it('every model, column, type and nullability in schema.prisma exists in the migrated database', async () => {
  const enums = parseEnums();
  const models = parseModels();
  expect(models.length).toBeGreaterThanOrEqual(7);
  for (const model of models) {
    const { rows } = await client.query(
      `SELECT column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
      [model.table],
    );
    expect({ model: model.name, columns: rows.length > 0 }).toEqual({
      model: model.name,
      columns: true,
    });
    const columns = new Map(rows.map((r) => [r.column_name as string, r]));
    for (const field of model.fields.filter((f) => !f.isRelation && !f.list)) {
      const column = columns.get(field.column);
      expect({ field: `${model.name}.${field.name}`, exists: Boolean(column) }).toEqual({
        field: `${model.name}.${field.name}`,
        exists: true,
      });
      const expectedType = enums.has(field.type) ? 'USER-DEFINED' : scalarTypes[field.type];
      expect({ field: `${model.name}.${field.name}`, type: column.data_type }).toEqual({
        field: `${model.name}.${field.name}`,
        type: expectedType,
      });
      if (enums.has(field.type)) expect(column.udt_name).toBe(enums.get(field.type)!.dbName);
      expect({
        field: `${model.name}.${field.name}`,
        nullable: column.is_nullable === 'YES',
      }).toEqual({ field: `${model.name}.${field.name}`, nullable: field.optional });
    }
    // Columns the SQL has but the model lacks would be invisible to the ORM; there must be none.
    const declared = new Set(model.fields.map((f) => f.column));
    expect({
      model: model.name,
      undeclared: [...columns.keys()].filter((c) => !declared.has(c)),
    }).toEqual({ model: model.name, undeclared: [] });
    for (const indexName of model.indexNames) {
      const found = await client.query(
        `SELECT 1 FROM pg_indexes WHERE schemaname = 'public' AND indexname = $1`,
        [indexName],
      );
      expect({ index: indexName, exists: found.rowCount === 1 }).toEqual({
        index: indexName,
        exists: true,
      });
    }
  }
  for (const [, { dbName, values }] of enums) {
    const { rows } = await client.query(
      `SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`,
      [dbName],
    );
    expect({ enum: dbName, values: rows.map((r) => r.enumlabel) }).toEqual({
      enum: dbName,
      values,
    });
  }
});

it('the generated ORM client reads every model', async () => {
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: db.connectionString }),
  });
  try {
    await prisma.asset.create({ data: { code: 'SYNC_TEST', name: 'Sync' } });
    await expect(prisma.asset.findMany()).resolves.toHaveLength(1);
    await expect(prisma.user.findMany()).resolves.toEqual([]);
    await expect(prisma.wallet.findMany()).resolves.toEqual([]);
    await expect(prisma.transaction.findMany()).resolves.toEqual([]);
    await expect(prisma.ledgerEntry.findMany()).resolves.toEqual([]);
    await expect(prisma.hold.findMany()).resolves.toEqual([]);
    await expect(prisma.idempotencyRecord.findMany()).resolves.toEqual([]);
  } finally {
    await prisma.$disconnect();
  }
});
