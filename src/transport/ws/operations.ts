import {
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { formatError } from '../../shared/errors';

/**
 * Validated documents by query text. A subscription keeps its parsed document (tokens and
 * locations included, about 10 KB for a typical selection) for as long as it runs; 1,000 HUDs
 * sending the same query share one copy instead. Bounded, least recently used out first. The
 * document is still parsed and checked for every operation: only the copy that is kept is shared.
 */
export class DocumentCache {
  private readonly documents = new Map<string, DocumentNode>();

  constructor(private readonly sizeMax: number) {}

  share(query: string, document: DocumentNode): DocumentNode {
    const cached = this.documents.get(query);
    if (cached) {
      this.documents.delete(query);
      this.documents.set(query, cached);
      return cached;
    }
    if (this.documents.size >= this.sizeMax)
      this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(query, document);
    return document;
  }
}

/** GraphQL's own parse and standard validation, for servers given no prepareOperation. */
export function defaultPrepareOperation(
  schema: GraphQLSchema,
  payload: SubscribePayload,
): ExecutionArgs | readonly GraphQLError[] {
  let document;
  try {
    document = parse(payload.query);
  } catch (error) {
    if (error instanceof GraphQLError) return [error];
    throw error;
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return errors;
  return {
    schema,
    document,
    variableValues: payload.variables ?? undefined,
    operationName: payload.operationName ?? undefined,
  };
}

/** The errors of a subscription refused at setup, carried through graphql-ws to onError. */
export class SubscriptionRefused extends Error {
  constructor(readonly errors: readonly GraphQLError[]) {
    super(errors[0]?.message ?? 'Subscription refused');
  }
}

/** A stream whose first read fails with the refusal. */
export function refusedStream(
  errors: readonly GraphQLError[],
): AsyncIterableIterator<ExecutionResult> {
  const stream: AsyncIterableIterator<ExecutionResult> = {
    next: () => Promise.reject(new SubscriptionRefused(errors)),
    return: () => Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

export function isErrors(
  value: ExecutionArgs | readonly GraphQLError[],
): value is readonly GraphQLError[] {
  return Array.isArray(value);
}

/** The same error shapes as over HTTP: contract codes, nothing internal leaks. */
export function formatWsError(error: GraphQLError): GraphQLFormattedError {
  return formatError(error.toJSON(), error);
}
