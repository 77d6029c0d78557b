import type http from 'node:http';
import {
  CloseCode,
  DEPRECATED_GRAPHQL_WS_PROTOCOL,
  handleProtocols,
  makeServer,
  type ServerOptions,
} from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../shared/logger';

/**
 * graphql-ws's protocol core (makeServer) on ws sockets: the socket adapter, as graphql-ws's own
 * `useServer` (graphql-ws/use/ws) is, with the gateway's logger instead of console.error and
 * one difference in what counts as an error. A write that fails because the peer has gone (the
 * TCP connection closed between the protocol's check and the write) is not a server fault: it is
 * a debug line and the write counts as done; the socket's close event follows and ends its
 * operations. Everything else behaves as useServer: keep-alive pings, 4500 on internal errors.
 */
export function serveGraphqlWs<E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<Record<string, unknown>, Extra & Partial<E>>,
  wss: WebSocketServer,
  keepAliveMs: number,
  settings: { logger: Logger; isProduction: boolean },
): { dispose(): Promise<void> } {
  const { logger } = settings;
  const server = makeServer(options);
  wss.options.handleProtocols = handleProtocols;
  const internalError = (error: unknown) =>
    settings.isProduction
      ? 'Internal server error'
      : closeReasonOf(error instanceof Error ? error.message : String(error));
  wss.once('error', (error) => {
    logger.error({ err: error }, 'websocket server error');
    for (const client of wss.clients)
      client.close(CloseCode.InternalServerError, internalError(error));
  });
  wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    socket.once('error', (error) => {
      // ws reports frames it cannot accept (too large, malformed): the client's doing.
      logger.info({ err: error.message }, 'websocket closed after a socket error');
      socket.close(CloseCode.InternalServerError, internalError(error));
    });
    const stopPings = keepAlive(socket, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => send(socket, data, logger),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (event) => {
            try {
              await cb(String(event));
            } catch (error) {
              if (socket.readyState !== socket.OPEN) {
                logger.debug({ err: errorMessage(error) }, 'websocket message after close');
                return;
              }
              logger.error({ err: error }, 'websocket message handling failed');
              socket.close(CloseCode.InternalServerError, internalError(error));
            }
          }),
      },
      { socket, request } as Extra & Partial<E>,
    );
    socket.once('close', (code, reason) => {
      stopPings();
      if (
        !settings.isProduction &&
        code === CloseCode.SubprotocolNotAcceptable &&
        socket.protocol === DEPRECATED_GRAPHQL_WS_PROTOCOL
      )
        logger.warn('a client used the deprecated subscriptions-transport-ws subprotocol');
      void closed(code, String(reason));
    });
  });
  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) =>
        wss.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** Sends one protocol message; a socket that is gone, or goes during the write, is not an error. */
function send(socket: WebSocket, data: string, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState !== socket.OPEN) return resolve();
    socket.send(data, (error) => {
      // ws fails a write only when the connection is gone (destroyed, reset, ended by the peer).
      if (error) logger.debug({ err: error.message }, 'websocket write after the socket closed');
      resolve();
    });
  });
}

/** Pings every keepAliveMs; a socket that has not answered by the next ping is dropped. */
function keepAlive(socket: WebSocket, keepAliveMs: number): () => void {
  if (!(keepAliveMs > 0 && Number.isFinite(keepAliveMs))) return () => undefined;
  let pongWait: NodeJS.Timeout | undefined;
  const interval = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
    socket.once('pong', () => {
      clearTimeout(pongWait);
      pongWait = undefined;
    });
    socket.ping();
  }, keepAliveMs);
  return () => {
    clearTimeout(pongWait);
    clearInterval(interval);
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A close reason may carry at most 123 bytes. */
function closeReasonOf(message: string): string {
  return Buffer.byteLength(message) <= 123 ? message : 'Internal server error';
}
