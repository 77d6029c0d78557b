import type http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  getOperationAST,
  parse,
  subscribe as graphqlSubscribe,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AuthenticatedPrincipal } from '../../shared/auth/authenticate';
import type { GatewayContext } from '../../app/context';
import { AppError, ErrorCode, formatError } from '../../shared/errors';
import { limits } from '../../shared/limits';

/** A refusal of the websocket upgrade itself, answered as a plain HTTP response. */
export interface UpgradeRefusal {
  status: number;
  message: string;
}

/** An authenticated websocket, as hooks see it. */
export interface WebsocketConnection {
  principal: AuthenticatedPrincipal;
  socket: WebSocket;
  request: http.IncomingMessage;
}

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  /** The same path as HTTP GraphQL: /graphql. */
  path: string;
  schema: GraphQLSchema;
  /** Verifies the credential of connection_init (`{ authorization: "Bearer <JWT>" }`). */
  authenticate(authorization: unknown): Promise<AuthenticatedPrincipal>;
  /** The resolver context of one operation on an authenticated socket. */
  context(principal: AuthenticatedPrincipal, request: http.IncomingMessage): GatewayContext;
  /**
   * Parses and validates one operation (the place for depth, alias and cost limits shared with
   * HTTP). Default: GraphQL's parser and standard validation rules.
   */
  prepareOperation?(
    schema: GraphQLSchema,
    payload: SubscribePayload,
  ): ExecutionArgs | readonly GraphQLError[];
  /** Checks on the upgrade request, before the handshake (an Origin allow-list, for example). */
  verifyUpgrade?: ReadonlyArray<(request: http.IncomingMessage) => UpgradeRefusal | undefined>;
  /**
   * Charges one operation to the principal before it is prepared (the rate limit shared with
   * HTTP); an AppError it throws (RATE_LIMITED) is sent back as the operation's error.
   */
  admitOperation?(principal: AuthenticatedPrincipal): Promise<void>;
  /** The trusted-documents rule (src/shared/trusted-documents.ts): the payload to run, or why not. */
  admitDocument?(
    principal: AuthenticatedPrincipal | undefined,
    payload: SubscribePayload,
  ): SubscribePayload | GraphQLError;
  /**
   * Called once a socket is authenticated; the function it returns runs when the socket closes.
   * The place to close the socket when its credential expires (principal.expiresAt).
   */
  onAuthenticated?(connection: WebsocketConnection): (() => void) | void;
  /** Authenticated sockets in this process. */
  socketsMax: number;
  /** Sockets that have not authenticated yet: a budget apart from socketsMax. */
  unauthenticatedSocketsMax?: number;
  /** Authenticated sockets one credential subject may hold, by its role. */
  socketsPerSubjectMax?(principal: AuthenticatedPrincipal): number;
  subscriptionsPerSocketMax: number;
  /** Ping interval; a socket that has not answered a ping by the next one is dropped. 0: off. */
  keepAliveMs: number;
  isProduction: boolean;
}

export interface SubscriptionServer {
  /** Open websockets right now. */
  sockets(): number;
  /** Open websockets by stage: not yet authenticated, and authenticated. */
  socketCounts(): { unauthenticated: number; authenticated: number };
  /** Closes every socket with 1001 (going away), cuts those that do not answer, stops accepting. */
  close(): Promise<void>;
}

/** What this server keeps on each graphql-ws connection context (ctx.extra). */
interface ConnectionExtra extends Record<PropertyKey, unknown> {
  principal: AuthenticatedPrincipal;
  onClosed: (() => void) | undefined;
}

/** The close code for a server going away (RFC 6455), sent to every socket on shutdown. */
export const closeGoingAway = 1001;
/** RFC 6455 1008: the socket broke a policy (here: its credential holds too many sockets). */
export const closePolicyViolation = 1008;
/** RFC 6455 1013: try again later (here: the process holds as many authenticated sockets as it may). */
export const closeTryAgainLater = 1013;

/**
 * Where a socket stands against the socket budgets. A socket counts toward the unauthenticated
 * budget from its upgrade until it authenticates or closes, then toward the shared and the
 * per-subject budgets until it closes. Released on the TCP socket's close, so that a handshake
 * that never completes gives its slot back too.
 */
interface SocketSlot {
  stage: 'unauthenticated' | 'authenticated' | 'closed';
  subjectKey?: string;
}

/**
 * graphql-ws (protocol graphql-transport-ws) on the HTTP server's port and path. The stages are
 * kept apart so that the authentication and hardening rules plug in without touching the rest:
 *   upgrade     path, `verifyUpgrade` checks, the socket limit (HTTP 503 past it);
 *   onConnect   the connection_init credential; a bad one closes the socket with 4403;
 *   onSubscribe the per-socket operation limit, then `prepareOperation`; subscriptions only;
 *   context     the principal, services and loaders of each operation; the subscription's own
 *               service checks that the principal may read the user (FORBIDDEN otherwise).
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.websocketMessageBytesMax });
  const prepare = options.prepareOperation ?? defaultPrepareOperation;
  const documents = new DocumentCache(limits.websocketDocumentCacheMax);

  const unauthenticatedMax =
    options.unauthenticatedSocketsMax ?? limits.websocketsUnauthenticatedMax;
  const counts = { unauthenticated: 0, authenticated: 0 };
  const perSubject = new Map<string, number>();
  const slots = new WeakMap<WebSocket, SocketSlot>();
  const release = (slot: SocketSlot) => {
    if (slot.stage === 'unauthenticated') counts.unauthenticated -= 1;
    if (slot.stage === 'authenticated') {
      counts.authenticated -= 1;
      const held = (perSubject.get(slot.subjectKey!) ?? 1) - 1;
      if (held > 0) perSubject.set(slot.subjectKey!, held);
      else perSubject.delete(slot.subjectKey!);
    }
    slot.stage = 'closed';
  };

  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(request.url ?? '/', 'http://gateway.invalid').pathname;
    if (pathname !== options.path)
      return refuseUpgrade(socket, { status: 404, message: 'Not Found' });
    for (const check of options.verifyUpgrade ?? []) {
      const refusal = check(request);
      if (refusal) return refuseUpgrade(socket, refusal);
    }
    // Counted synchronously here, so the checks are exact even for a burst of upgrades.
    if (
      counts.authenticated >= options.socketsMax ||
      counts.unauthenticated >= unauthenticatedMax
    ) {
      return refuseUpgrade(socket, {
        status: 503,
        message: 'Too many websocket connections; retry later',
      });
    }
    const slot: SocketSlot = { stage: 'unauthenticated' };
    counts.unauthenticated += 1;
    socket.once('close', () => release(slot));
    wss.handleUpgrade(request, socket, head, (ws) => {
      slots.set(ws, slot);
      wss.emit('connection', ws, request);
    });
  };
  /**
   * Moves an authenticated socket from the unauthenticated budget to the shared and per-subject
   * ones, or closes it when either is full. Synchronous, so two sockets of one subject
   * authenticating at once cannot both take the last slot.
   */
  const admitAuthenticated = (ws: WebSocket, principal: AuthenticatedPrincipal): boolean => {
    const slot = slots.get(ws);
    if (!slot || slot.stage !== 'unauthenticated') return false;
    if (counts.authenticated >= options.socketsMax) {
      ws.close(closeTryAgainLater, 'Too many websocket connections; retry later');
      return false;
    }
    const subjectKey = `${principal.role}:${principal.subject}`;
    const subjectMax = options.socketsPerSubjectMax?.(principal) ?? Infinity;
    const held = perSubject.get(subjectKey) ?? 0;
    if (held >= subjectMax) {
      ws.close(
        closePolicyViolation,
        closeReason(`This credential already holds ${subjectMax} websockets; close one first.`),
      );
      return false;
    }
    counts.unauthenticated -= 1;
    counts.authenticated += 1;
    perSubject.set(subjectKey, held + 1);
    slot.stage = 'authenticated';
    slot.subjectKey = subjectKey;
    return true;
  };
  options.httpServer.on('upgrade', onUpgrade);

  const server = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      schema: options.schema,
      isProd: options.isProduction,
      connectionInitWaitTimeout: limits.websocketInitTimeoutMs,

      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization =
          params.authorization ?? params.Authorization ?? ctx.extra.request.headers.authorization;
        let principal: AuthenticatedPrincipal;
        try {
          principal = await options.authenticate(authorization);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          // graphql-ws would close with 4403 "Forbidden" by itself; the reason says why.
          ctx.extra.socket.close(CloseCode.Forbidden, closeReason(error.message));
          return false;
        }
        if (!admitAuthenticated(ctx.extra.socket, principal)) return false;
        ctx.extra.principal = principal;
        const onClosed = options.onAuthenticated?.({
          principal,
          socket: ctx.extra.socket,
          request: ctx.extra.request,
        });
        ctx.extra.onClosed = onClosed ?? undefined;
        return true;
      },

      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already entered this operation in ctx.subscriptions.
        const open = Object.keys(ctx.subscriptions).length;
        if (open > options.subscriptionsPerSocketMax) {
          return [
            new GraphQLError(
              `At most ${options.subscriptionsPerSocketMax} operations may be open on one websocket; complete one or open another socket.`,
              {
                extensions: {
                  code: ErrorCode.RATE_LIMITED,
                  reason: 'TOO_MANY_SUBSCRIPTIONS',
                  limit: options.subscriptionsPerSocketMax,
                },
              },
            ),
          ];
        }
        if (options.admitOperation && ctx.extra.principal) {
          try {
            await options.admitOperation(ctx.extra.principal);
          } catch (error) {
            if (error instanceof AppError) return [error];
            throw error;
          }
        }
        const admitted = options.admitDocument?.(ctx.extra.principal, payload) ?? payload;
        if (admitted instanceof GraphQLError) return [admitted];
        const checked = prepare(options.schema, admitted);
        if (isErrors(checked)) return checked;
        const prepared = {
          ...checked,
          document: documents.share(admitted.query, checked.document),
        };
        const operation = getOperationAST(prepared.document, prepared.operationName);
        if (operation && operation.operation !== 'subscription') {
          // Queries and mutations stay on HTTP, where rate limits and request logs apply.
          return [
            new GraphQLError(
              'Only subscriptions are served over websockets; send queries and mutations over HTTP.',
              {
                extensions: { code: ErrorCode.BAD_USER_INPUT },
              },
            ),
          ];
        }
        return prepared;
      },

      context: (ctx) => {
        const principal = ctx.extra.principal;
        // graphql-ws runs no operation before onConnect has acknowledged the socket.
        if (!principal) throw new Error('invariant: operation on an unauthenticated websocket');
        return options.context(principal, ctx.extra.request);
      },

      subscribe: async (args) => {
        const result = await graphqlSubscribe(args);
        if (Symbol.asyncIterator in result) return result;
        // Refused while setting up the stream (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT from the
        // service): graphql-ws would send that result as `next` + `complete`. The protocol's
        // `error` message says it better (the operation never started), and it is what the docs
        // promise: a stream that fails on its first read makes graphql-ws send `error`.
        return refusedStream(result.errors ?? []);
      },

      onNext: (_ctx, _id, _payload, _args, result: ExecutionResult) =>
        result.errors ? { ...result, errors: result.errors.map(formatWsError) } : undefined,

      onError: (_ctx, _id, _payload, errors) =>
        errors
          .flatMap((error) =>
            error.originalError instanceof SubscriptionRefused
              ? error.originalError.errors
              : [error],
          )
          .map(formatWsError),

      onClose: (ctx) => {
        ctx.extra.onClosed?.();
        ctx.extra.onClosed = undefined;
      },
    },
    wss,
    options.keepAliveMs > 0 ? options.keepAliveMs : Infinity,
  );

  let closing: Promise<void> | undefined;
  return {
    sockets: () => wss.clients.size,
    socketCounts: () => ({ ...counts }),
    close() {
      closing ??= (async () => {
        options.httpServer.off('upgrade', onUpgrade);
        for (const client of wss.clients) client.close(closeGoingAway, 'Server shutting down');
        const deadline = Date.now() + limits.websocketShutdownGraceMs;
        while (wss.clients.size > 0 && Date.now() < deadline) await sleep(20);
        for (const client of wss.clients) client.terminate();
        await server.dispose();
      })();
      return closing;
    },
  };
}

/**
 * Validated documents by query text. A subscription keeps its parsed document (tokens and
 * locations included, about 10 KB for a typical selection) for as long as it runs; 1,000 HUDs
 * sending the same query share one copy instead. Bounded, least recently used out first. The
 * document is still parsed and checked for every operation: only the copy that is kept is shared.
 */
class DocumentCache {
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
function defaultPrepareOperation(
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
class SubscriptionRefused extends Error {
  constructor(readonly errors: readonly GraphQLError[]) {
    super(errors[0]?.message ?? 'Subscription refused');
  }
}

/** A stream whose first read fails with the refusal. */
function refusedStream(errors: readonly GraphQLError[]): AsyncIterableIterator<ExecutionResult> {
  const stream: AsyncIterableIterator<ExecutionResult> = {
    next: () => Promise.reject(new SubscriptionRefused(errors)),
    return: () => Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

function isErrors(
  value: ExecutionArgs | readonly GraphQLError[],
): value is readonly GraphQLError[] {
  return Array.isArray(value);
}

/** The same error shapes as over HTTP: contract codes, nothing internal leaks. */
function formatWsError(error: GraphQLError): GraphQLFormattedError {
  return formatError(error.toJSON(), error);
}

function refuseUpgrade(socket: Duplex, refusal: UpgradeRefusal): void {
  const body = refusal.message;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${httpStatusText(refusal.status)}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function httpStatusText(status: number): string {
  return (
    { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[
      status
    ] ?? 'Error'
  );
}

/** A close reason may carry at most 123 bytes. */
function closeReason(message: string): string {
  return Buffer.byteLength(message) <= 123 ? message : `${message.slice(0, 110)}...`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
