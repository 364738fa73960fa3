// simdnet's data helpers: batching (DataLoader), and getting data into the shape fit() takes.
export { DataLoader } from './loader.js';
export type { DataLoaderOptions, Batch } from './loader.js';
