// The columns of the table, in order: simdnet's builds, the plain-JS baseline, the WebAssembly and
// JavaScript peers, and the native reference. Adapters load lazily, once; one that cannot load
// (package missing, engine too old) marks every case 'unsupported' with the error.
import { simdnet } from './simdnet.mjs';

const peers = ['plain-js', 'tfjs-wasm', 'tfjs-cpu', 'ort-web', 'convnetjs', 'ort-node'];
let cache;

export async function implementations(variants) {
  if (cache) return cache;
  cache = variants.map((v) => simdnet(v));
  for (const file of peers) {
    let adapter;
    try {
      adapter = (await import(`./${file}.mjs`)).default;
      await adapter.load();
    } catch (err) {
      const reason = `could not load ${file}: ${err.message.split('\n')[0]}`;
      adapter = { name: adapter?.name ?? file, role: file === 'ort-node' ? 'native' : 'peer', version: 'not loaded', cases: new Proxy({}, { get: () => reason }) };
    }
    cache.push(adapter);
  }
  return cache;
}
