import {
  GraphQLError,
  TypeInfo,
  getOperationAST,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { badUserInput, ErrorCode } from './errors';
import { limits } from './limits';
import { isDateTimeInRange } from './money';
import { rejectNul } from './validation';

/**
 * Checks on every argument of an operation, whatever field takes it, before anything executes.
 * They stop client input that the database would refuse with an internal error: NUL (PostgreSQL
 * 22021) or half a surrogate pair in any text, and a DateTime outside years 1..9999 (22008). One
 * walk over the coerced arguments covers every operation, present and future, so no service has
 * to remember them (the services keep their own, more specific, rules).
 */
export function checkOperationInputs(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Record<string, unknown> | null,
  operationName?: string | null,
): GraphQLError | undefined {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return undefined;
  // Variables that do not coerce are left to execution, which reports them with their names.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, {
    maxErrors: 1,
  });
  if (coerced.errors) return undefined;
  const typeInfo = new TypeInfo(schema);
  let problem: GraphQLError | undefined;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        if (problem) return false;
        const argument = typeInfo.getArgument();
        if (!argument) return false;
        // Literals and variables alike, as the resolver will see them; undefined when invalid
        // (validation or execution reports that).
        const value = valueFromAST(node.value, argument.type, coerced.coerced);
        if (value !== undefined) problem = inspect(value, argument.type, node.name.value);
        return false;
      },
    }),
  );
  return problem;
}

function inspect(value: unknown, type: GraphQLInputType, field: string): GraphQLError | undefined {
  if (value === null || value === undefined) return undefined;
  if (isNonNullType(type)) return inspect(value, type.ofType, field);
  if (isListType(type)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const problem = inspect(item, type.ofType, field);
      if (problem) return problem;
    }
    return undefined;
  }
  if (isInputObjectType(type)) {
    for (const [name, inputField] of Object.entries(type.getFields())) {
      const problem = inspect(
        (value as Record<string, unknown>)[name],
        inputField.type,
        `${field}.${name}`,
      );
      if (problem) return problem;
    }
    return undefined;
  }
  if (isEnumType(type)) return undefined;
  if (value instanceof Date) {
    return isDateTimeInRange(value)
      ? undefined
      : badUserInput(
          `${field} must be a date-time in years ${limits.dateTimeYearMin} to ${limits.dateTimeYearMax}.`,
          field,
        );
  }
  return inspectText(value, field, 0);
}

/** Every string in a scalar's value (String, ID, JSON keys and values alike). */
function inspectText(value: unknown, field: string, depth: number): GraphQLError | undefined {
  if (typeof value === 'string') {
    try {
      rejectNul(value, field);
      return undefined;
    } catch (error) {
      if (error instanceof GraphQLError) return error;
      throw error;
    }
  }
  // JSON deeper than this is refused by validateMetadata anyway; stop walking.
  if (value === null || typeof value !== 'object' || depth > limits.metadataDepthMax + 1)
    return undefined;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const problem = inspectText(key, field, depth + 1) ?? inspectText(child, field, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * A subscription sent over HTTP. Subscriptions are served over websockets only; over HTTP the
 * operation would reach execution and fail as an internal error.
 */
export function subscriptionOverHttpError(): GraphQLError {
  return new GraphQLError(
    'Subscriptions are served over websockets (graphql-transport-ws) at this same path, not over HTTP.',
    {
      extensions: {
        code: ErrorCode.BAD_USER_INPUT,
        reason: 'SUBSCRIPTION_OVER_HTTP',
        http: { status: 400 },
      },
    },
  );
}

/**
 * Apollo plugin: refuses, once the operation is known and before anything executes, a
 * subscription over HTTP and operations whose arguments fail checkOperationInputs. Both answer
 * HTTP 400 with BAD_USER_INPUT, and nothing is written.
 */
export function inputGuardPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operation }) {
          if (operation?.operation === 'subscription') throw subscriptionOverHttpError();
          const problem = checkOperationInputs(
            schema,
            document,
            request.variables,
            request.operationName,
          );
          if (problem) {
            (problem.extensions as Record<string, unknown>).http = { status: 400 };
            throw problem;
          }
        },
      };
    },
  };
}
