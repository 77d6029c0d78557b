import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badUserInput } from './errors';
import { limits } from './limits';

/**
 * Money is a whole number of an asset's smallest unit, held as a bigint from the wire to the
 * BIGINT column. On the wire results are decimal strings ("1500"); inputs accept a decimal
 * string or a GraphQL Int. Floats, exponents, hex, padding and values outside signed 64-bit
 * are rejected here, before any resolver runs.
 */
const amountMin = -limits.amountMax - 1n;
const decimalPattern = /^-?(0|[1-9][0-9]*)$/;

function invalid(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

export function parseAmount(value: unknown): bigint {
  let parsed: bigint;
  if (typeof value === 'bigint') {
    parsed = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw invalid('Amount must be a whole number; send large values as a decimal string.');
    }
    parsed = BigInt(value);
  } else if (typeof value === 'string') {
    if (value.length > 20 || !decimalPattern.test(value)) {
      throw invalid('Amount must be a whole number written in decimal digits, like "1500".');
    }
    parsed = BigInt(value);
  } else {
    throw invalid('Amount must be a decimal string or an Int.');
  }
  if (parsed > limits.amountMax || parsed < amountMin) {
    throw invalid('Amount is outside the signed 64-bit range.');
  }
  return parsed;
}

function parseAmountLiteral(ast: ValueNode): bigint {
  if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return parseAmount(ast.value);
  throw invalid('Amount must be a decimal string or an Int.');
}

export const AmountScalar = new GraphQLScalarType<bigint, string>({
  name: 'Amount',
  description:
    "A whole number of the asset's smallest unit: a decimal string on output; a decimal string or Int on input.",
  serialize(value: unknown): string {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string' && decimalPattern.test(value)) return value;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    throw new GraphQLError('Amount cannot represent a non-integer value.');
  },
  parseValue: parseAmount,
  parseLiteral: parseAmountLiteral,
});

/** The contract: a mutation's amount must be at least 1. */
export function requirePositiveAmount(amount: bigint, field = 'amount'): bigint {
  if (amount < 1n) {
    throw badUserInput('Amount must be at least 1.', field);
  }
  return amount;
}

/**
 * DateTime inputs must fall in years limits.dateTimeYearMin..dateTimeYearMax. graphql-scalars'
 * DateTime accepts year 0 and years up to 275760, which PostgreSQL refuses (22008) or no client
 * can show; refused before execution (src/shared/input-guard.ts) as BAD_USER_INPUT.
 */
export function isDateTimeInRange(value: Date): boolean {
  const year = value.getUTCFullYear();
  return !Number.isNaN(year) && year >= limits.dateTimeYearMin && year <= limits.dateTimeYearMax;
}
