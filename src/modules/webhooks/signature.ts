import { createHmac } from 'node:crypto';

/**
 * The Wallet-Signature header of a delivery: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
 * keyed with the webhook's secret (contract). The timestamp is signed with the body so that a
 * receiver can refuse old replays; docs/examples/verify-signature.ts is the receiver's side.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}
