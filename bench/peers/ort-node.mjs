// ONNX Runtime Node: NATIVE code (MLAS with the CPU's AVX2/AVX-512), not WebAssembly. A labelled
// reference column ('ort-node (native)'): its ratio shows how far WebAssembly is from native code;
// no target refers to it and the chart leaves it out. One intra-op and one inter-op thread, like
// every other column.
import { ortAdapter } from './ort.mjs';
import { packageVersion } from '../platform.mjs';

export default ortAdapter('ort-node (native)', 'native', async () => {
  const ort = await import('onnxruntime-node');
  ort.env.logLevel = 'error';
  const version = packageVersion('onnxruntime-node');
  return {
    ort,
    version: `onnxruntime-node ${version} (native CPU EP, 1 thread)`,
    sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
  };
}, 'inference only (onnxruntime-node runs inference; training is the separate onnxruntime-training package)');
