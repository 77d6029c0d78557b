import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler, Response } from 'express';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Principal } from '../auth/principal';

/** What the operation log reads from a request's context (the composition layer's context has it). */
export interface LoggedContext {
  principal?: Principal;
  operationRecord?: object;
}
import type { Logger } from '../logger';
import type { GatewayMetrics } from './metrics';

/** What is known about one HTTP GraphQL request; filled in as it goes, logged when it finishes. */
interface OperationRecord {
  requestId: string;
  startedAt: bigint;
  /** Set once Apollo has taken the request (a plain GET of the landing page never is). */
  graphql: boolean;
  operationType?: string;
  /** The root fields, the metrics label: bounded by the schema, unlike client-chosen names. */
  operation?: string;
  operationName?: string;
  subject?: string;
  role?: string;
  outcome?: string;
}

/** Request ids the gateway accepts from x-request-id; anything else is replaced by a fresh UUID. */
const requestIdPattern = /^[\w.:-]{1,128}$/;
/** Client-chosen operation names are truncated in logs. */
const operationNameLengthMax = 100;
/** Operations selecting more root fields than this are labelled "multiple" in metrics. */
const labelFieldsMax = 3;

export function acceptRequestId(value: string | string[] | undefined): string {
  const single = Array.isArray(value) ? value[0] : value;
  return single && requestIdPattern.test(single) ? single : randomUUID();
}

/** `balance`, `balances+ledger`, ...: the sorted root fields of the operation. */
export function operationLabel(operation: OperationDefinitionNode): string {
  const fields = new Set<string>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields.add(selection.name.value);
    else fields.add('fragment');
  }
  if (fields.size === 0) return operation.operation;
  if (fields.size > labelFieldsMax) return 'multiple';
  return [...fields].sort().join('+');
}

/**
 * One JSON log line and one metrics sample per GraphQL request over HTTP. Three parts, mounted
 * by the gateway around Apollo on /graphql:
 *  - `begin` (before the body parser): settles the request id (the caller's x-request-id when
 *    well-formed, else a new UUID), echoes it, starts the clock, and emits the line once the
 *    response is finished, so that requests refused early (a malformed body, a failed
 *    authentication) are logged too;
 *  - `bind` (right before Apollo): makes the request's record reachable from Apollo's hooks
 *    through AsyncLocalStorage, without touching the GraphQL context;
 *  - `plugin`: fills in the operation, the caller and the outcome code.
 * The line never carries tokens, variables or metadata: only the fields of OperationRecord.
 */
export function createOperationObserver(options: { logger: Logger; metrics: GatewayMetrics }) {
  // The record travels with the request object and, from the context function on, in the GraphQL
  // context. (An AsyncLocalStorage would do the same, but on Node 20 it installs promise hooks
  // that tax every promise of every request: measured as a few percent of the gateway's CPU.)
  const records = new WeakMap<object, OperationRecord>();

  const begin: RequestHandler = (req, res, next) => {
    const requestId = acceptRequestId(req.headers['x-request-id']);
    // The GraphQL context reads the id from this header, so the log, the response header and
    // the resolvers all see the same one.
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    const record: OperationRecord = {
      requestId,
      startedAt: process.hrtime.bigint(),
      graphql: false,
    };
    records.set(req, record);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      logOperation(record, res, options);
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };

  /** The record of an HTTP request, for the context function (undefined outside /graphql). */
  const recordOf = (req: object): OperationRecord | undefined => records.get(req);

  /** Called by the context function when it refuses the request (bad token, rate limit). */
  const contextFailed = (req: object, error: unknown) => {
    const record = records.get(req);
    if (!record) return;
    record.graphql = true;
    const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
    record.outcome = typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
  };

  return { begin, recordOf, contextFailed, plugin: operationLogPlugin() };
}

/** Writes the request's log line and its metric once the response has finished or closed. */
function logOperation(
  record: OperationRecord,
  res: Response,
  { logger, metrics }: { logger: Logger; metrics: GatewayMetrics },
): void {
  // Nothing GraphQL happened and nothing failed: the landing page or a CORS preflight.
  if (!record.graphql && res.statusCode < 400) return;
  const durationSeconds = Number(process.hrtime.bigint() - record.startedAt) / 1e9;
  // A request Apollo refused before execution (malformed body, bad method) has no outcome yet.
  const outcome =
    record.outcome ??
    (res.statusCode < 400
      ? 'OK'
      : res.statusCode === 400
        ? 'BAD_REQUEST'
        : `HTTP_${res.statusCode}`);
  const operation = record.operation ?? 'invalid';
  metrics.recordOperation(operation, outcome, durationSeconds);
  const line = {
    requestId: record.requestId,
    operationName: record.operationName,
    operation,
    operationType: record.operationType,
    subject: record.subject,
    role: record.role,
    outcome,
    status: res.statusCode,
    durationMs: Math.round(durationSeconds * 1e6) / 1e3,
    aborted: res.writableFinished ? undefined : true,
  };
  const serverFault =
    outcome === 'INTERNAL_SERVER_ERROR' ||
    outcome === 'SERVICE_UNAVAILABLE' ||
    res.statusCode >= 500;
  if (serverFault) logger.warn(line, 'graphql operation');
  else logger.info(line, 'graphql operation');
}

/** Fills in the operation, the caller and the outcome code of the request's record. */
function operationLogPlugin(): ApolloServerPlugin<LoggedContext> {
  return {
    async requestDidStart({ contextValue }) {
      const record = contextValue.operationRecord as OperationRecord | undefined;
      if (!record) return;
      record.graphql = true;
      record.subject = contextValue.principal?.subject;
      record.role = contextValue.principal?.role;
      return {
        async didResolveOperation({ operation, operationName }) {
          if (!operation) return;
          record.operationType = operation.operation;
          record.operation = operationLabel(operation);
          record.operationName = operationName?.slice(0, operationNameLengthMax) ?? undefined;
        },
        async willSendResponse({ response }) {
          const errors =
            response.body.kind === 'single'
              ? response.body.singleResult.errors
              : response.body.initialResult.errors;
          const code = errors?.[0]?.extensions?.code;
          record.outcome =
            errors && errors.length > 0
              ? typeof code === 'string'
                ? code
                : 'INTERNAL_SERVER_ERROR'
              : 'OK';
        },
      };
    },
  };
}
