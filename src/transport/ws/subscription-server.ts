import type http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  getOperationAST,
  subscribe as graphqlSubscribe,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode, type ServerOptions, type SubscribePayload } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AuthenticatedPrincipal } from '../../shared/auth/authenticate';
import { AppError, ErrorCode } from '../../shared/errors';
import { limits } from '../../shared/limits';
import { logger as processLogger, type Logger } from '../../shared/logger';
import {
  DocumentCache,
  SubscriptionRefused,
  defaultPrepareOperation,
  formatWsError,
  isErrors,
  refusedStream,
} from './operations';
import { createSocketBudget, type SocketBudget, type SocketSlot } from './socket-budget';
import { closeReason, refuseUpgrade, sleep, type UpgradeRefusal } from './upgrade';
import { serveGraphqlWs } from './ws-adapter';

export type { UpgradeRefusal };

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
  context(principal: AuthenticatedPrincipal, request: http.IncomingMessage): object;
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
  /** How long a socket may wait before sending connection_init. */
  initTimeoutMs?: number;
  /** Authenticated sockets one credential subject may hold, by its role. */
  socketsPerSubjectMax?(principal: AuthenticatedPrincipal): number;
  subscriptionsPerSocketMax: number;
  /** Ping interval; a socket that has not answered a ping by the next one is dropped. 0: off. */
  keepAliveMs: number;
  isProduction: boolean;
  /** Where socket-level events go (a write after the peer left: debug). Default: the process logger. */
  logger?: Logger;
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

/** What this server keeps on each graphql-ws connection context (ctx.extra). */
interface ConnectionExtra extends Record<PropertyKey, unknown> {
  principal: AuthenticatedPrincipal;
  onClosed: (() => void) | undefined;
}

/** graphql-ws's connection context extra: the socket and request, then what onConnect adds. */
type WsExtra = Extra & Partial<ConnectionExtra>;
type ProtocolHooks = ServerOptions<Record<string, unknown>, WsExtra>;

/** Each socket's place in the budget, from its upgrade on. */
type Slots = WeakMap<WebSocket, SocketSlot>;

/**
 * graphql-ws (protocol graphql-transport-ws) on the HTTP server's port and path: the adapter
 * between the ws sockets, graphql-ws's protocol core and the socket budget (socket-budget.ts).
 * The stages are kept apart so that the authentication and hardening rules plug in without
 * touching the rest:
 *   upgrade     path, `verifyUpgrade` checks, the socket budget (HTTP 503 past it);
 *   onConnect   the connection_init credential; a bad one closes the socket with 4403;
 *   onSubscribe the per-socket operation limit, then `prepareOperation`; subscriptions only;
 *   context     the principal, services and loaders of each operation; the subscription's own
 *               service checks that the principal may read the user (FORBIDDEN otherwise).
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.websocketMessageBytesMax });
  const budget = createSocketBudget({
    socketsMax: options.socketsMax,
    unauthenticatedSocketsMax:
      options.unauthenticatedSocketsMax ?? limits.websocketsUnauthenticatedMax,
    unauthenticatedEvictAfterMs: limits.websocketUnauthenticatedEvictAfterMs,
    initTimeoutMs: options.initTimeoutMs ?? limits.websocketInitTimeoutMs,
    socketsPerSubjectMax: options.socketsPerSubjectMax,
    subscriptionsPerSocketMax: options.subscriptionsPerSocketMax,
  });
  const slots: Slots = new WeakMap();
  const onUpgrade = upgradeHandler(options, wss, budget, slots);
  options.httpServer.on('upgrade', onUpgrade);
  const server = serveGraphqlWs<ConnectionExtra>(
    protocolHooks(options, budget, slots),
    wss,
    options.keepAliveMs,
    { logger: options.logger ?? processLogger, isProduction: options.isProduction },
  );

  let closing: Promise<void> | undefined;
  return {
    sockets: () => wss.clients.size,
    socketCounts: () => budget.counts(),
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
 * The upgrade: path, checks, then a slot of the budget, taken synchronously so the counts are
 * exact even for a burst of upgrades. The slot is released on the TCP socket's close, so that a
 * handshake that never completes gives it back too.
 */
function upgradeHandler(
  options: SubscriptionServerOptions,
  wss: WebSocketServer,
  budget: SocketBudget,
  slots: Slots,
) {
  return (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(request.url ?? '/', 'http://gateway.invalid').pathname;
    if (pathname !== options.path)
      return refuseUpgrade(socket, { status: 404, message: 'Not Found' });
    for (const check of options.verifyUpgrade ?? []) {
      const refusal = check(request);
      if (refusal) return refuseUpgrade(socket, refusal);
    }
    let ws: WebSocket | undefined;
    const evict = () => {
      if (ws)
        ws.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
      else socket.destroy();
    };
    const slot = budget.open(evict);
    if (!slot) {
      return refuseUpgrade(socket, {
        status: 503,
        message: 'Too many websocket connections; retry later',
      });
    }
    socket.once('close', () => budget.release(slot));
    wss.handleUpgrade(request, socket, head, (upgraded) => {
      ws = upgraded;
      slots.set(upgraded, slot);
      wss.emit('connection', upgraded, request);
    });
  };
}

/** graphql-ws's hooks: authentication at connection_init, the operation checks, the context. */
function protocolHooks(
  options: SubscriptionServerOptions,
  budget: SocketBudget,
  slots: Slots,
): ProtocolHooks {
  const prepare = options.prepareOperation ?? defaultPrepareOperation;
  const documents = new DocumentCache(limits.websocketDocumentCacheMax);
  return {
    schema: options.schema,
    connectionInitWaitTimeout: budget.initTimeoutMs,
    onConnect: (ctx) => connect(ctx, options, budget, slots),
    onSubscribe: async (ctx, _id, payload) => {
      // graphql-ws has already entered this operation in ctx.subscriptions.
      const refusal = budget.operationRefusal(Object.keys(ctx.subscriptions).length);
      if (refusal) return [refusal];
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
      return prepareSubscription(prepare, documents, options.schema, admitted);
    },
    context: (ctx) => {
      const principal = ctx.extra.principal;
      // graphql-ws runs no operation before onConnect has acknowledged the socket.
      if (!principal) throw new Error('invariant: operation on an unauthenticated websocket');
      return options.context(principal, ctx.extra.request) as Record<string, unknown>;
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
          error.originalError instanceof SubscriptionRefused ? error.originalError.errors : [error],
        )
        .map(formatWsError),
    onClose: (ctx) => {
      ctx.extra.onClosed?.();
      ctx.extra.onClosed = undefined;
    },
  };
}

type ConnectContext = Parameters<NonNullable<ProtocolHooks['onConnect']>>[0];

/** connection_init: verifies the credential and moves the socket to the authenticated budget. */
async function connect(
  ctx: ConnectContext,
  options: SubscriptionServerOptions,
  budget: SocketBudget,
  slots: Slots,
): Promise<boolean> {
  const socket = ctx.extra.socket;
  const slot = slots.get(socket);
  if (slot) budget.initiated(slot);
  const params = ctx.connectionParams ?? {};
  const authorization =
    params.authorization ?? params.Authorization ?? ctx.extra.request.headers.authorization;
  let principal: AuthenticatedPrincipal;
  try {
    principal = await options.authenticate(authorization);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    // graphql-ws would close with 4403 "Forbidden" by itself; the reason says why.
    socket.close(CloseCode.Forbidden, closeReason(error.message));
    return false;
  }
  const refusal = slot ? budget.authenticate(slot, principal) : { reason: 'CLOSED' as const };
  if (refusal?.reason === 'PROCESS_FULL')
    socket.close(closeTryAgainLater, 'Too many websocket connections; retry later');
  if (refusal?.reason === 'SUBJECT_FULL')
    socket.close(
      closePolicyViolation,
      closeReason(`This credential already holds ${refusal.limit} websockets; close one first.`),
    );
  if (refusal) return false;
  ctx.extra.principal = principal;
  const onClosed = options.onAuthenticated?.({
    principal,
    socket,
    request: ctx.extra.request,
  });
  ctx.extra.onClosed = onClosed ?? undefined;
  return true;
}

/** Prepares a subscribe message's operation; queries and mutations are refused here. */
function prepareSubscription(
  prepare: NonNullable<SubscriptionServerOptions['prepareOperation']>,
  documents: DocumentCache,
  schema: GraphQLSchema,
  payload: SubscribePayload,
): ExecutionArgs | readonly GraphQLError[] {
  const checked = prepare(schema, payload);
  if (isErrors(checked)) return checked;
  const prepared = { ...checked, document: documents.share(payload.query, checked.document) };
  const operation = getOperationAST(prepared.document, prepared.operationName);
  if (operation && operation.operation !== 'subscription') {
    // Queries and mutations stay on HTTP, where rate limits and request logs apply.
    return [
      new GraphQLError(
        'Only subscriptions are served over websockets; send queries and mutations over HTTP.',
        { extensions: { code: ErrorCode.BAD_USER_INPUT } },
      ),
    ];
  }
  return prepared;
}
