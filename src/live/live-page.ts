import path from 'node:path';
import express, { type Router } from 'express';
import type { Config } from '../shared/config';
import { projectRoot } from '../shared/db/database';

/**
 * The live demo page at /live: plain HTML and JavaScript under public/live (no build step), and
 * the browser build of graphql-ws served from node_modules, so the page needs no CDN. Development
 * and demo mode only: off when NODE_ENV=production unless LIVE_PAGE=true.
 */
export function livePageEnabled(config: Pick<Config, 'NODE_ENV' | 'LIVE_PAGE'>): boolean {
  return config.LIVE_PAGE ?? config.NODE_ENV !== 'production';
}

/** graphql-ws's UMD build (it defines window.graphqlWs), found next to the package's CommonJS entry. */
function graphqlWsBrowserBuild(): string {
  return path.join(path.dirname(require.resolve('graphql-ws')), '..', 'umd', 'graphql-ws.min.js');
}

// The page runs only its own scripts and talks only to this origin (HTTP and websocket).
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function livePageRouter(): Router {
  const router = express.Router();
  const dir = path.join(projectRoot(), 'public', 'live');
  const securityHeaders: express.RequestHandler = (_req, res, next) => {
    res.setHeader('content-security-policy', contentSecurityPolicy);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    next();
  };
  router.get('/live', securityHeaders, (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  router.get('/live/vendor/graphql-ws.min.js', securityHeaders, (_req, res) =>
    res.type('text/javascript').sendFile(graphqlWsBrowserBuild()),
  );
  router.use('/live', securityHeaders, express.static(dir, { index: false, fallthrough: false }));
  return router;
}
