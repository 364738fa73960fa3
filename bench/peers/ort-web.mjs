// ONNX Runtime Web: the wasm execution provider (its SIMD build), one thread (BENCH_THREADS in the
// threads group, bench/threads.mjs), no proxy worker.
// In Node it loads ort-wasm-simd-threaded.{mjs,wasm} from its own package directory; in a browser
// (bench/browser) its bundled ESM build is told where the .wasm is served.
import { ortAdapter } from './ort.mjs';
import { packageVersion, assetDir, envVar, name as host } from '../platform.mjs';

export default ortAdapter('ort-web', 'peer', async () => {
  const ort = await import('onnxruntime-web');
  const threads = Number(envVar('BENCH_THREADS') ?? 1);
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  if (host !== 'node') ort.env.wasm.wasmPaths = assetDir('onnxruntime-web'); // in Node it finds its own
  ort.env.logLevel = 'error';
  const version = packageVersion('onnxruntime-web');
  return {
    ort,
    version: `onnxruntime-web ${version} (wasm EP, SIMD, ${threads} thread${threads > 1 ? 's' : ''})`,
    sessionOptions: { executionProviders: ['wasm'], graphOptimizationLevel: 'all' },
  };
});
