import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** `vite build` writes the dashboard here; the same path from src/http (tests) and dist/http (npm start). */
export const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web');

/**
 * The dashboard's pages may load only Vigil's own scripts and talk only to Vigil: an injected script
 * could otherwise act with the admin's session. Framing is refused (clickjacking).
 */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; media-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function webBuildExists(): boolean {
  return fs.existsSync(path.join(WEB_ROOT, 'index.html'));
}

/** Serves the built dashboard at `/`; its own routes (`/admin/alerts`, …) all get index.html. */
export async function registerWebApp(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: WEB_ROOT,
    wildcard: false,
    index: false,
    // Hashed file names under /assets never change; index.html must be fetched fresh.
    setHeaders: (res, file) => {
      for (const [name, value] of Object.entries(PAGE_HEADERS)) res.header(name, value);
      res.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}

/** Whether a not-found GET should get the dashboard's page: a browser asking for a page, not an API path. */
export function wantsPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const url = request.url;
  if (url.startsWith('/v1/') || url === '/v1' || url.startsWith('/docs') || url.startsWith('/assets/')) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

export function sendPage(reply: FastifyReply): FastifyReply {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) reply.header(name, value);
  return reply.header('cache-control', 'no-cache').sendFile('index.html');
}
