// How a webhook receiver checks the Wallet-Signature header (tests/e2e/webhooks.test.ts runs it).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Signatures older (or newer) than this are refused, so that a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * True when `header` (the Wallet-Signature value, "t=<unix seconds>,v1=<hex>") signs `rawBody`
 * with `secret` and is recent. Verify the raw bytes as received, before any JSON parsing: a
 * re-serialised body may differ by a space and no longer match.
 */
export function verifyWalletSignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !/^\d+$/.test(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(nowSeconds - Number(t)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest();
  // Constant time: the comparison must not tell an attacker how many bytes they got right.
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

// A receiver (Express shown; any framework that exposes the raw body works):
//
//   app.post('/wallet-events', express.text({ type: 'application/json' }), (req, res) => {
//     if (!verifyWalletSignature(process.env.WALLET_WEBHOOK_SECRET!, req.header('wallet-signature'), req.body)) {
//       return res.status(401).end();
//     }
//     const event = JSON.parse(req.body);
//     if (alreadyProcessed(event.id)) return res.status(200).end(); // at least once: deduplicate by id
//     process(event);                                               // then answer 2xx within 10 s
//     res.status(200).end();
//   });
