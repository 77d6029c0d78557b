import http from 'node:http';
import https from 'node:https';
import { limits } from '../../shared/limits';
import { signatureHeader } from './signature';
import { deliveryLookup, type SsrfPolicy } from './ssrf';

export interface DeliveryResult {
  ok: boolean;
  /** The HTTP status, when an answer came. */
  status?: number;
  /** Why it failed (status and the start of the answer, or the network error). */
  error?: string;
  durationMs: number;
}

/**
 * Connections to receivers are kept alive between deliveries: a webhook's events go out one after
 * another, and a fresh TCP (and TLS) connection per event was half the time one event took
 * (docs/events.md). The SSRF check runs in `lookup`, that is for each new connection; an idle
 * connection is closed after `webhookIdleSocketMs`, so a receiver whose name now resolves
 * elsewhere is checked again within that time.
 */
const agentOptions = {
  keepAlive: true,
  timeout: limits.webhookIdleSocketMs,
  // As many as deliveries can be in flight in one process: a webhook has at most one, so the
  // agent never queues one receiver's request behind another's that hangs on the same host.
  maxSockets: limits.webhookWorkerConcurrency,
};
const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

/** Control characters (C0, DEL, C1) and the line and paragraph separators, in runs. */
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** Text as one printable line: control characters become a space, at most `max` characters. */
function printable(text: string, max: number): string {
  const line = text.replace(controlCharacters, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** The text kept as a webhook's lastError: one printable line, bounded. */
export function boundedErrorText(text: string): string {
  return printable(text, limits.webhookErrorTextMax);
}

/**
 * A failed answer as lastError: the status, then at most webhookErrorBodyCharsMax of the body.
 * lastError is shown to admins and logged, so a receiver's page (an HTML error page, a stack
 * trace, terminal escapes) is cut to what tells why, not echoed.
 */
export function answerErrorText(status: number, body: string): string {
  const excerpt = printable(body, limits.webhookErrorBodyCharsMax);
  return `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
}

type Outcome = Omit<DeliveryResult, 'durationMs'>;

/**
 * Reads an answer up to webhookResponseBytesMax and concludes: 2xx is delivered, anything else a
 * failure with its status and the start of the body. `reusable`: the answer was read to its end,
 * so the connection may go back to the agent's pool.
 */
function readAnswer(
  response: http.IncomingMessage,
  finish: (outcome: Outcome, reusable: boolean) => void,
): void {
  const status = response.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let kept = 0;
  const conclude = (reusable: boolean) => {
    if (status >= 200 && status < 300) return finish({ ok: true, status }, reusable);
    const text = Buffer.concat(chunks).toString('utf8');
    finish({ ok: false, status, error: answerErrorText(status, text) }, reusable);
  };
  response.on('data', (chunk: Buffer) => {
    if (kept < limits.webhookResponseBytesMax) {
      const part = chunk.subarray(0, limits.webhookResponseBytesMax - kept);
      chunks.push(part);
      kept += part.length;
    }
    // Past the bound the rest is not waited for: the status is all that counts.
    if (kept >= limits.webhookResponseBytesMax) conclude(false);
  });
  response.on('end', () => conclude(true));
  response.on('error', () => conclude(false));
}

/**
 * POSTs one event body to a webhook URL, signed, and reports whether the receiver answered 2xx
 * within the timeout. It never throws. Redirects are not followed (a 3xx is a failure), so a
 * receiver cannot bounce the gateway to an address the SSRF rules refuse. The answer's body is
 * read only up to a bound, so a hostile receiver cannot make the worker buffer without end.
 */
export function deliver(
  url: URL,
  secret: string,
  body: string,
  policy: SsrfPolicy,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  const startedMs = Date.now();
  const done = (result: Outcome): DeliveryResult => ({
    ...result,
    durationMs: Date.now() - startedMs,
  });
  const { refusal, lookup } = deliveryLookup(url, policy);
  if (refusal) return Promise.resolve(done({ ok: false, error: `refused: ${refusal}` }));
  return new Promise((resolve) => {
    let settled = false;
    // Any ending but an answer read to its end (timeout, abort, an answer cut at the bound, an
    // error) closes the connection.
    const finish = (result: Outcome, reusable = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (!reusable) request.destroy();
      resolve(done(result));
    };
    const secure = url.protocol === 'https:';
    const request = (secure ? https : http).request(url, {
      method: 'POST',
      lookup,
      agent: secure ? agents.https : agents.http,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body, 'utf8'),
        'user-agent': 'wallet-gateway-webhooks/1',
        'wallet-signature': signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
      },
    });
    // One bound for the whole exchange: connect, send, answer (contract: 10 s).
    const timer = setTimeout(
      () => finish({ ok: false, error: `no answer within ${limits.webhookDeliveryTimeoutMs} ms` }),
      limits.webhookDeliveryTimeoutMs,
    );
    const onAbort = () => finish({ ok: false, error: 'delivery aborted (gateway stopping)' });
    signal?.addEventListener('abort', onAbort);
    request.on('error', (error) => finish({ ok: false, error: error.message }));
    request.on('response', (response) => readAnswer(response, finish));
    request.end(body);
  });
}
