import type { RequestHandler } from 'express';

/**
 * Headers on every response of the gateway, for browsers that reach it: no MIME sniffing (a JSON
 * answer is never run as a script or styled as a page), no framing (clickjacking of the landing
 * page), no Referer leaving for another site. /graphql answers carry account data, so no cache,
 * shared or private, may keep them. HSTS belongs to whatever terminates TLS, not here. The live
 * page adds its own Content-Security-Policy (src/live/live-page.ts).
 */
export const securityHeaders: RequestHandler = (req, res, next) => {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  if (req.path === '/graphql') res.setHeader('cache-control', 'no-store');
  next();
};
