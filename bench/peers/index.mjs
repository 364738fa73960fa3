// The columns of the table, in order: simdnet's builds, the plain-JS baseline, the WebAssembly and
// JavaScript peers, and the native reference. Adapters load lazily, once; one that cannot load
// (package missing, engine too old) marks every case 'unsupported' with the error.
import { simdnet } from './simdnet.mjs';
import { name as host } from '../platform.mjs';

// explicit imports (not a template) so a bundler sees each file
const peers = {
  'plain-js': () => import('./plain-js.mjs'),
  'tfjs-wasm': () => import('./tfjs-wasm.mjs'),
  'tfjs-cpu': () => import('./tfjs-cpu.mjs'),
  'ort-web': () => import('./ort-web.mjs'),
  convnetjs: () => import('./convnetjs.mjs'),
  'ort-node': () => import('./ort-node.mjs'),
};
let cache;

export async function implementations(variants) {
  if (cache) return cache;
  cache = variants.map((v) => simdnet(v));
  for (const [file, load] of Object.entries(peers)) {
    if (file === 'ort-node' && host !== 'node') continue; // a native Node.js addon: no column in a browser
    let adapter;
    try {
      adapter = (await load()).default;
      await adapter.load();
    } catch (err) {
      const reason = `could not load ${file}: ${err.message.split('\n')[0]}`;
      const name = adapter?.name ?? (file === 'ort-node' ? 'ort-node (native)' : file);
      adapter = { name, role: file === 'ort-node' ? 'native' : 'peer', version: 'not loaded', cases: new Proxy({}, { get: () => reason }) };
    }
    cache.push(adapter);
  }
  return cache;
}
