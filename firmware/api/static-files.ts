/**
 * The dashboard's files (built into dist/web by `npm install`), read once into memory with a gzip copy of each:
 * a few hundred kB, served without touching the SD card again. `/` is index.html (its title names AxeOS, which
 * is how pyasic recognises a Bitaxe-compatible device); any other path that is not a file gets index.html too,
 * so a deep link lands on the dashboard.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

/** Where `npm install` puts the dashboard: dist/web beside dist/firmware. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

const FALLBACK_INDEX = `<!doctype html><html><head><meta charset="utf-8"><title>hashaxe (AxeOS-compatible API)</title></head>
<body><p>hashaxe's dashboard is not built: run <code>npm install</code> (or <code>npm run build</code>) in the checkout.
The AxeOS-compatible API is at <a href="/api/system/info">/api/system/info</a>.</p></body></html>`;

export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(root: string = DEFAULT_WEB_ROOT) {
    if (existsSync(root)) this.load(root, root);
    if (!this.files.has('/index.html')) this.files.set('/index.html', entry(Buffer.from(FALLBACK_INDEX), '.html'));
  }

  get built(): boolean {
    return this.files.size > 1;
  }

  private load(root: string, dir: string): void {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) this.load(root, path);
      else this.files.set(`/${relative(root, path).split(sep).join('/')}`, entry(readFileSync(path), extname(name)));
    }
  }

  /** Serves GET/HEAD `path`; any path without a file gets index.html. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): void {
    const file = this.files.get(path === '/' ? '/index.html' : path) ?? this.files.get('/index.html')!;
    const gzip = file.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip! : file.body;
    res.writeHead(200, {
      'Content-Type': file.type,
      'Content-Length': body.length,
      // index.html names the current bundle; the bundle's files never change within one build.
      'Cache-Control': file.type.startsWith('text/html') ? 'no-cache' : 'public, max-age=3600',
      'X-Content-Type-Options': 'nosniff',
      ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function entry(body: Buffer, ext: string): StaticFile {
  const type = TYPES[ext] ?? 'application/octet-stream';
  const compressible = type.startsWith('text/') || type.includes('json') || type.includes('svg');
  return { body, gzip: compressible && body.length > 512 ? gzipSync(body, { level: 9 }) : null, type };
}
