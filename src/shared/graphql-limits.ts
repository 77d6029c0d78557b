import {
  GraphQLError,
  getNamedType,
  getNullableType,
  getOperationAST,
  isLeafType,
  isListType,
  parse,
  specifiedRules,
  validate,
  type ASTNode,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { Principal } from './auth/principal';
import { ErrorCode } from './errors';
import { limits } from './limits';
import { pageSizeOf } from './validation';
import { checkOperationInputs } from './input-guard';

/**
 * The GraphQL hardening limits as reusable pieces, so that HTTP (Apollo's `validationRules`,
 * `parseOptions` and the cost plugin in src/transport/http/graphql-server.ts) and websockets (graphql-ws `onSubscribe`, via
 * `prepareOperation`) refuse exactly the same documents. Every refusal is BAD_USER_INPUT with a
 * `reason` naming the limit and the `limit` itself, so a client can tell which one it hit.
 */
export const LimitReason = {
  QUERY_TOO_LARGE: 'QUERY_TOO_LARGE',
  QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  TOO_MANY_ALIASES: 'TOO_MANY_ALIASES',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
} as const;
export type LimitReason = (typeof LimitReason)[keyof typeof LimitReason];

export function limitError(
  reason: LimitReason,
  message: string,
  limit: number,
  nodes?: readonly ASTNode[] | ASTNode,
): GraphQLError {
  return new GraphQLError(message, {
    nodes,
    extensions: { code: ErrorCode.BAD_USER_INPUT, reason, limit },
  });
}

/**
 * Parser options: the parser gives up after this many tokens instead of building a huge AST.
 * graphql's own `maxTokens`, which Apollo applies itself; GraphQL Armor's max-tokens plugin only
 * plugs into envelop's parse hook, which Apollo does not have, and counts the same tokens.
 */
export const parseOptions = { maxTokens: limits.queryTokensMax } as const;

/**
 * Parses with the token limit; a document over it is QUERY_TOO_LARGE, any other syntax error is
 * GraphQL's own. Used by the websocket server; Apollo applies `parseOptions` itself.
 */
export function parseDocument(source: string): DocumentNode {
  try {
    return parse(source, parseOptions);
  } catch (error) {
    if (
      error instanceof GraphQLError &&
      /Document contains more th(?:an|at) \d+ tokens/.test(error.message)
    ) {
      throw limitError(
        LimitReason.QUERY_TOO_LARGE,
        `The document has more than ${limits.queryTokensMax} tokens.`,
        limits.queryTokensMax,
      );
    }
    throw error;
  }
}

/**
 * Depth of nested selection sets, the root field counting 1, fragments followed as if written in
 * place: GraphQL Armor's max-depth rule. `__schema` introspection is exempt: its standard query is
 * deeper than any wallet query, and introspection is switched off in production anyway. Armor's
 * own error (a "Syntax Error" with no code) is replaced by ours, so that clients keep seeing
 * BAD_USER_INPUT with reason QUERY_TOO_DEEP and the limit.
 */
export function depthLimitRule(maxDepth: number = limits.queryDepthMax): ValidationRule {
  return maxDepthRule({
    n: maxDepth,
    flattenFragments: true,
    ignoreIntrospection: true,
    propagateOnRejection: false,
    onReject: [
      (context) =>
        context?.reportError(
          limitError(
            LimitReason.QUERY_TOO_DEEP,
            `The operation nests deeper than ${maxDepth} levels.`,
            maxDepth,
          ),
        ),
    ],
  });
}

/**
 * Aliased fields in one operation, fragments counted each time they are spread: aliases are how
 * one request repeats an expensive field. GraphQL Armor's max-aliases rule, with no alias exempt
 * (Armor exempts `__typename` by default), reporting our error shape.
 */
export function aliasLimitRule(maxAliases: number = limits.queryAliasesMax): ValidationRule {
  return maxAliasesRule({
    n: maxAliases,
    allowList: [],
    propagateOnRejection: false,
    onReject: [
      (context) =>
        context?.reportError(
          limitError(
            LimitReason.TOO_MANY_ALIASES,
            `The operation uses more than ${maxAliases} aliases.`,
            maxAliases,
          ),
        ),
    ],
  });
}

/** The validation rules added to GraphQL's own on every transport. */
export const limitValidationRules: readonly ValidationRule[] = [depthLimitRule(), aliasLimitRule()];

/**
 * Every field costs 1 plus what it selects. A field with a `first` argument returns a page: what
 * it selects is paid once per item, with the page size the service will serve (pageSizeOf: an
 * explicit null or an absent `first` is the default page, not one item; a large one is capped).
 * A list of objects with no page argument is paid once per item it is assumed to hold
 * (limits.costListItems); Query.nodes once per id it is given. The estimate is then at least the number of objects the answer can
 * hold, which tests/unit/cost-estimate.test.ts checks against a real gateway.
 */
const pageEstimator =
  (listItems: Readonly<Record<string, number>>): ComplexityEstimator =>
  ({ type, field, args, childComplexity }) => {
    const page = field.args.find((argument) => argument.name === 'first');
    if (page) {
      const first = args.first;
      // An explicit null or an absent `first` is the field's own default page (ledger 50, events 100).
      const fallback = typeof page.defaultValue === 'number' ? page.defaultValue : undefined;
      return 1 + childComplexity * pageSizeOf(typeof first === 'number' ? first : null, fallback);
    }
    if (field.name === 'nodes' && Array.isArray(args.ids)) {
      // Query.nodes answers one object per id it is given (at most nodeIdsMax are served).
      return 1 + childComplexity * Math.min(Math.max(args.ids.length, 1), limits.nodeIdsMax);
    }
    const returned = getNullableType(field.type);
    if (isListType(returned) && !isLeafType(getNamedType(returned))) {
      return (
        1 +
        childComplexity *
          (listItems[`${type.name}.${field.name}`] ??
            listItems.default ??
            limits.costListItems.default!)
      );
    }
    return undefined;
  };

/**
 * The estimated cost of the operation that will run. It needs the variables (a page size is
 * usually one), so it runs after validation, once per request, on both transports.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Record<string, unknown> | null,
  operationName?: string | null,
  listItems: Readonly<Record<string, number>> = limits.costListItems,
): number {
  return getComplexity({
    schema,
    query: document,
    variables: variables ?? undefined,
    operationName: operationName ?? undefined,
    estimators: [pageEstimator(listItems), simpleEstimator({ defaultComplexity: 1 })],
  });
}

/** QUERY_TOO_COMPLEX when the operation costs more than the limit, otherwise undefined. */
export function checkOperationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Record<string, unknown> | null,
  operationName?: string | null,
  maxCost: number = limits.queryCostMax,
  listItems: Readonly<Record<string, number>> = limits.costListItems,
): GraphQLError | undefined {
  // Variables that do not coerce are left to execution, which reports them with their names.
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, {
    maxErrors: 1,
  });
  if (coerced.errors) return undefined;
  let cost: number;
  try {
    cost = operationCost(schema, document, variables, operationName, listItems);
  } catch (error) {
    // Any other failure to estimate fails closed. In particular getComplexity gives up on
    // documents that expand past its node budget (fragments spread over and over): exactly the
    // most expensive operations, so they must be refused, not waved through.
    if (error instanceof GraphQLError) {
      return limitError(
        LimitReason.QUERY_TOO_COMPLEX,
        `The operation is too large to estimate (${error.message}); the limit is ${maxCost}.`,
        maxCost,
      );
    }
    throw error;
  }
  if (cost <= maxCost) return undefined;
  return limitError(
    LimitReason.QUERY_TOO_COMPLEX,
    `The operation's estimated cost ${cost} is above the limit of ${maxCost}.`,
    maxCost,
  );
}

/** What a websocket `subscribe` message carries. */
export interface OperationPayload {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * For graphql-ws `onSubscribe`: parses with the token limit, validates with GraphQL's rules plus
 * the limit rules, and checks the cost. Returns the execution arguments (the caller adds
 * contextValue) or the errors to send back.
 */
export function prepareOperation(
  schema: GraphQLSchema,
  payload: OperationPayload,
): ExecutionArgs | readonly GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parseDocument(payload.query);
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
  const errors = validate(schema, document, [...specifiedRules, ...limitValidationRules]);
  if (errors.length > 0) return errors;
  if (!getOperationAST(document, payload.operationName ?? undefined))
    return [new GraphQLError('Unable to identify the operation to run.')];
  const tooCostly = checkOperationCost(schema, document, payload.variables, payload.operationName);
  if (tooCostly) return [tooCostly];
  const badInput = checkOperationInputs(schema, document, payload.variables, payload.operationName);
  if (badInput) return [badInput];
  return {
    schema,
    document,
    variableValues: payload.variables ?? undefined,
    operationName: payload.operationName ?? undefined,
  };
}

const nonAdminListItems: Readonly<Record<string, number>> = {
  ...limits.costListItems,
  ...limits.costListItemsNonAdmin,
};

/**
 * Apollo plugin for the cost limit over HTTP. It runs once the operation is known, with the
 * request's variables, and before anything executes; the refusal answers HTTP 400.
 */
export function costLimitPlugin(
  maxCost: number = limits.queryCostMax,
  adminMaxCost: number = limits.queryCostAdminMax,
): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, contextValue }) {
          // Admins get a budget of their own (limits.queryCostAdminMax): their listings (every
          // webhook with its failed events) are counted at what they can really return. Anyone
          // else is refused admin-only lists with FORBIDDEN before an item is read: they cost 0
          // items (limits.costListItemsNonAdmin), so the refusal stays FORBIDDEN.
          const principal = (contextValue as { principal?: Principal }).principal;
          const admin = principal?.role === 'admin';
          const tooCostly = checkOperationCost(
            schema,
            document,
            request.variables,
            request.operationName,
            admin ? Math.max(maxCost, adminMaxCost) : maxCost,
            admin ? limits.costListItems : nonAdminListItems,
          );
          if (tooCostly) {
            throw new GraphQLError(tooCostly.message, {
              extensions: { ...tooCostly.extensions, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/**
 * GraphQL over HTTP (the spec's "legacy" application/json watershed): a client that accepts only
 * application/json should get 200 with `errors` for a document that does not parse or validate or
 * variables that do not coerce, since for it a non-2xx status may mean the request never reached
 * a GraphQL server. Apollo answers 400. This plugin turns every 400 that came with no `data` into
 * 200 for such clients. Clients that accept application/graphql-response+json, or anything (a
 * wildcard or no Accept header, as fetch and curl send), keep the 400: the status is theirs to read.
 * graphql-http's audit checks it (tests/e2e/graphql-over-http-audit.test.ts).
 */
export function legacyJsonStatusPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart({ request }) {
      const accept = (request.http?.headers.get('accept') ?? '').toLowerCase();
      const acceptsOnlyJson =
        accept.includes('application/json') &&
        !accept.includes('application/graphql-response+json') &&
        !accept.includes('*/*') &&
        !accept.includes('application/*');
      if (!acceptsOnlyJson) return undefined;
      return {
        async willSendResponse({ response }) {
          if (
            response.http.status === 400 &&
            response.body.kind === 'single' &&
            response.body.singleResult.data === undefined
          ) {
            response.http.status = 200;
          }
        },
      };
    },
  };
}

/**
 * The hardening options of the Apollo server: the limit rules and the token limit; introspection
 * and "did you mean" field suggestions only outside production (a production schema is not
 * browsable by strangers); no batched HTTP requests (one request, one operation, one rate limit
 * point); Apollo's CSRF prevention on (a browser cannot send a "simple" cross-site request).
 */
export function apolloHardening(production: boolean) {
  return {
    validationRules: [...limitValidationRules],
    parseOptions: { ...parseOptions },
    introspection: !production,
    hideSchemaDetailsFromClientErrors: production,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
  };
}
