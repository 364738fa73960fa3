// `npm run playground`: builds the page (build.mjs) and serves it on 127.0.0.1 with the
// cross-origin isolation headers, printing the URL.
//
//   node examples/playground/serve.mjs [--port N] [--out DIR]    (port 0: any free port)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { buildPlayground, DEFAULT_OUT, HEADERS } from './build.mjs';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.idx': 'application/octet-stream',
};

const root = resolve(await buildPlayground(resolve(arg('out', DEFAULT_OUT))));
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, HEADERS).end(); return; }
  if (!file.startsWith(root + sep)) { res.writeHead(403, HEADERS).end(); return; }
  try {
    const body = await readFile(file);
    res.writeHead(200, { ...HEADERS, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain' }).end('not found');
  }
});

let port = Number(arg('port', process.env.PORT ?? 8090));
for (;;) {
  try {
    await new Promise((ok, fail) => { server.once('error', fail); server.listen(port, '127.0.0.1', ok); });
    break;
  } catch (err) {
    if (err.code !== 'EADDRINUSE' || port === 0) throw err;
    port++; // taken: the next one
  }
}
console.log(`simdnet playground: http://127.0.0.1:${server.address().port}/`);
