// TensorFlow.js, cpu backend (plain JavaScript kernels). See tfjs.mjs.
import { tfjsAdapter } from './tfjs.mjs';

export default tfjsAdapter('cpu');
