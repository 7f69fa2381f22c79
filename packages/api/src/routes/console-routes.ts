import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { TrailscopeError } from '@trailscope/model';
import { sendError } from './error-reply';

/**
 * Every console answer carries it: scripts and styles only from files of this origin (no inline script, no eval),
 * requests only to this origin's /v1 API, never framed. CloudTrail values are attacker-controlled text; even if one
 * were ever rendered as markup, it could neither run a script nor reach another origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `npm ci` (the console's build) writes the bundle, from packages/api/src/routes or packages/api/dist/routes. */
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '..', '..', '..', 'console', 'dist');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

/** The built files under /assets/ (names carry a content hash), read once: the bundle is small and never changes under a running server. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const assetDir = path.join(dir, 'assets');
  if (!existsSync(assetDir)) return assets;
  for (const name of readdirSync(assetDir)) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type) assets.set(name, { body: readFileSync(path.join(assetDir, name)), type });
  }
  return assets;
}

export interface ConsoleRouteOptions {
  /** The console's built files (index.html and assets/); default DEFAULT_CONSOLE_DIR. */
  dir?: string;
}

/**
 * The web console at `/` (index.html, never cached, so a new build is picked up at once) and `/assets/*` (hashed
 * names, cached for a year as immutable), both without a key: the console signs in against the API itself. Also
 * `GET /v1/session`, which tells the console whose key it holds and what the key may see.
 */
export function registerConsoleRoutes(app: FastifyInstance, options: ConsoleRouteOptions = {}): void {
  const dir = options.dir ?? DEFAULT_CONSOLE_DIR;
  const indexPath = path.join(dir, 'index.html');
  const index = existsSync(indexPath) ? readFileSync(indexPath) : undefined;
  const assets = loadAssets(dir);

  app.get('/', { config: { auth: 'none' } }, async (request, reply) => {
    if (!index) {
      return sendError(request, reply, new TrailscopeError('NOT_FOUND', 'console: the web console is not built; run npm run build -w packages/console'));
    }
    return securityHeaders(reply).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
  });

  app.get<{ Params: { name: string } }>('/assets/:name', { config: { auth: 'none' } }, async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) return sendError(request, reply, new TrailscopeError('NOT_FOUND', `console: no asset ${request.params.name}`));
    return securityHeaders(reply).header('cache-control', 'public, max-age=31536000, immutable').type(asset.type).send(asset.body);
  });

  app.get('/v1/session', async (request) => {
    const auth = request.auth;
    if (!auth) throw new TrailscopeError('UNAUTHORIZED', 'authorization: missing or invalid API key');
    const key: { id: string; name?: string } = { id: auth.key.id };
    if (auth.key.name) key.name = auth.key.name;
    return { key, scope: auth.scope };
  });
}
