// TensorFlow.js as one module in the page: tfjs-core's ESM build with its gradients and both
// backends (the page bundle is built by esbuild, as a web app's would be).
import * as core from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';

export async function loadTfjsModule() {
  return { ...core, wasm };
}
