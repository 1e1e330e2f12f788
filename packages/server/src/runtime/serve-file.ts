import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ShardlineError } from '@shardline/core';
import type { FastifyInstance } from 'fastify';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Serves one file at `path`, read on each request (a rebuilt bundle shows on reload). A file that
 * is missing answers 404 ROUTE_NOT_FOUND naming it, so a page whose bundle was never built says so.
 */
export function serveFile(http: FastifyInstance, path: string, file: string): void {
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  http.get(path, async (_request, reply) => {
    try {
      const body = await readFile(file);
      return reply.type(type).header('cache-control', 'no-cache').send(body);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new ShardlineError('ROUTE_NOT_FOUND', `${file} does not exist (is the page built?)`);
    }
  });
}
