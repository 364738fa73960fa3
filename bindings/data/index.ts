// simdnet's data helpers: getting data into the { x, y, shape } form fit() takes, and batching it.
export { DataLoader } from './loader.js';
export type { DataLoaderOptions, Batch } from './loader.js';
export { readCsv } from './csv.js';
export type { ReadCsvOptions, CsvData } from './csv.js';
export { oneHot, normalize, trainTestSplit } from './prep.js';
export type { NormalizeOptions, Normalized, TrainTestSplitOptions } from './prep.js';
export { readIdx } from './idx.js';
export type { IdxData } from './idx.js';
export { fromPixels } from './pixels.js';
export type { FromPixelsOptions, RawPixels, PixelSource } from './pixels.js';
