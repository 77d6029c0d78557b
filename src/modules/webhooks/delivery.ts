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
  const done = (result: Omit<DeliveryResult, 'durationMs'>): DeliveryResult => ({
    ...result,
    durationMs: Date.now() - startedMs,
  });
  const { refusal, lookup } = deliveryLookup(url, policy);
  if (refusal) return Promise.resolve(done({ ok: false, error: `refused: ${refusal}` }));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<DeliveryResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(done(result));
    };
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'POST',
      lookup,
      agent: false,
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
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      const conclude = () => {
        const text = Buffer.concat(chunks).toString('utf8').slice(0, limits.webhookErrorTextMax);
        if (status >= 200 && status < 300) finish({ ok: true, status });
        else
          finish({
            ok: false,
            status,
            error: `HTTP ${status}${text ? `: ${text}` : ''}`.slice(0, limits.webhookErrorTextMax),
          });
      };
      response.on('data', (chunk: Buffer) => {
        if (kept < limits.webhookResponseBytesMax) {
          const part = chunk.subarray(0, limits.webhookResponseBytesMax - kept);
          chunks.push(part);
          kept += part.length;
        }
        // Past the bound the rest is not waited for: the status is all that counts.
        if (kept >= limits.webhookResponseBytesMax) conclude();
      });
      response.on('end', conclude);
      response.on('error', conclude);
    });
    request.end(body);
  });
}
