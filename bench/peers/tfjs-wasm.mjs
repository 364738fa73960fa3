// TensorFlow.js, wasm backend (XNNPACK, SIMD build, one thread). See tfjs.mjs.
import { tfjsAdapter } from './tfjs.mjs';

export default tfjsAdapter('wasm');
