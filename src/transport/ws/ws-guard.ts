import type http from 'node:http';
import type { WebSocket } from 'ws';
import { limits } from '../../shared/limits';
import type { AuthenticatedPrincipal } from '../../shared/auth/authenticate';

/**
 * The websocket side of authentication, plugged into the subscription server's hooks
 * (subscription-server.ts): the Origin allow-list at the upgrade and the socket's
 * lifetime bounded by its token. The credential itself is checked in onConnect with the same
 * `authenticate` as HTTP, and each subscribe is charged to the rate limiter like an HTTP request.
 */

/**
 * Browsers send Origin on every websocket upgrade and CORS does not apply to websockets, so
 * without this check any web page could open a socket to the gateway with a token it got hold of
 * (cross-site websocket hijacking). Allowed: no Origin at all (game servers and other non-browser
 * clients send none), the gateway's own origin (its live page), and the configured origins
 * (WS_ALLOWED_ORIGINS). Everything else is refused with 403 before the handshake.
 */
export function originAllowList(allowedOrigins: readonly string[]) {
  const allowed = new Set(
    allowedOrigins.map(normalizeOrigin).filter((origin): origin is string => origin !== undefined),
  );
  return (request: http.IncomingMessage): { status: number; message: string } | undefined => {
    const origin = request.headers.origin;
    if (origin === undefined) return undefined;
    const normalized = normalizeOrigin(origin);
    if (normalized !== undefined && allowed.has(normalized)) return undefined;
    if (
      normalized !== undefined &&
      request.headers.host &&
      new URL(normalized).host === request.headers.host.toLowerCase()
    )
      return undefined;
    return { status: 403, message: 'Origin not allowed' };
  };
}

/** scheme://host[:port] in lower case, or undefined for anything that is not an http(s) origin. */
function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Closes the socket with 4403 when its token expires, so that a long-lived subscription never
 * outlives its credential. graphql-ws's client treats 4403 as retryable: a client whose
 * connectionParams function returns a fresh token reconnects by itself. Returns the cleanup to run
 * when the socket closes first.
 */
export function closeWhenTokenExpires(connection: {
  principal: AuthenticatedPrincipal;
  socket: WebSocket;
}): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const remainingMs = connection.principal.expiresAt.getTime() - Date.now();
    // NaN (an Invalid Date) must not arm a timer: setTimeout would fire every millisecond.
    if (!(remainingMs > 0)) {
      connection.socket.close(limits.wsCloseForbidden, 'Token expired');
      return;
    }
    // Node's timers cannot wait longer than about 24.8 days; a longer-lived token re-arms.
    timer = setTimeout(arm, Math.min(remainingMs, limits.timerDelayMsMax));
    timer.unref();
  };
  arm();
  return () => {
    if (timer) clearTimeout(timer);
  };
}
