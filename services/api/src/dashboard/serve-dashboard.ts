/**
 * The web dashboard at `/`: the files Vite built into services/dashboard/dist/web, served by
 * @fastify/static. The API starts without them: `/` then answers a short page that says how to
 * build them. The dashboard routes with the URL's hash (#/jobs/...), so the server needs no
 * fallback to index.html.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** services/dashboard/dist/web, from this file's place in services/api/dist/src/dashboard. */
const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../../dashboard/dist/web', import.meta.url));

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trainyard</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#eee;padding:.1rem .3rem;border-radius:3px}</style>
</head><body>
<h1>Trainyard</h1>
<p>The API is running, but the web dashboard has not been built.</p>
<p>Build it with <code>npm run build</code> (everything) or <code>npm run build -w @trainyard/dashboard</code>, then reload this page.</p>
<p>Meanwhile: the API is under <code>/v1</code>, its documentation at <a href="/docs">/docs</a>, metrics at <a href="/metrics">/metrics</a>.</p>
</body></html>
`;

export async function serveDashboard(app: FastifyInstance, options: { dir?: string } = {}): Promise<void> {
  const dir = options.dir ?? DEFAULT_DASHBOARD_DIR;
  if (!existsSync(join(dir, 'index.html'))) {
    app.log.warn({ dir }, 'the web dashboard is not built; / explains how to build it');
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: ['index.html'],
    schemaHide: true,
    cacheControl: false, // our own, below
    setHeaders(response, path) {
      // Vite puts a content hash in every asset name: those never change; index.html always may.
      response.setHeader('cache-control', path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
