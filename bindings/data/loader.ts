// A DataLoader in PyTorch's sense: a data set cut into (optionally shuffled) batches, iterable in
// a hand-written loop and accepted by fit() in place of { x, y } (fit then takes batchSize,
// shuffle and dropLast from it). With `seed` it shuffles from a generator of its own, so the order
// repeats whatever else draws random numbers; without it, from the global seeded generator.

import { Tensor } from '../tensor.js';
import { options } from '../options.js';
import { permutation, generator } from '../random.js';
import { prepare, batch, type Dataset, type Prepared } from '../dataset.js';

export interface DataLoaderOptions {
  /** Samples per batch (default 32). */
  batchSize?: number;
  /** A new random order every epoch (default false, as PyTorch). */
  shuffle?: boolean;
  /** Leave out the last, smaller batch (default false). */
  dropLast?: boolean;
  /** Shuffle from a generator of this seed instead of the global one. */
  seed?: number;
}

/** One batch: x [batch, ...shape], and y as class labels or a target tensor. */
export interface Batch {
  x: Tensor;
  y: Int32Array | Tensor;
}

export class DataLoader implements Iterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Samples in the data set. */
  readonly size: number;
  /** Batches per epoch. */
  readonly length: number;
  /** @internal The checked data set. */
  readonly _data: Prepared;
  /** @internal */
  readonly _rand: (() => number) | undefined;

  constructor(data: Dataset, opts: DataLoaderOptions = {}) {
    const op = 'DataLoader';
    const { batchSize = 32, shuffle = false, dropLast = false, seed } =
      options<DataLoaderOptions>(op, opts, ['batchSize', 'shuffle', 'dropLast', 'seed']);
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${op}: batchSize must be a positive integer, got ${String(batchSize)}`);
    if (typeof shuffle !== 'boolean') throw new Error(`${op}: shuffle must be true or false, got ${String(shuffle)}`);
    if (typeof dropLast !== 'boolean') throw new Error(`${op}: dropLast must be true or false, got ${String(dropLast)}`);
    if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) throw new Error(`${op}: seed must be a finite number, got ${String(seed)}`);
    this._data = prepare(data, op, undefined);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.size = this._data.n;
    this.length = dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
    if (this.length === 0) throw new Error(`${op}: dropLast with batchSize ${batchSize} leaves no batch of ${this.size} samples`);
    this._rand = seed === undefined ? undefined : generator(seed);
  }

  /** @internal The next epoch's order (null: in order), written into `out`. */
  _order(out: Int32Array): Int32Array | null {
    return this.shuffle ? permutation(this.size, out, this._rand) : null;
  }

  /** One epoch of batches (a new order each time when shuffling). The tensors belong to the caller (or the enclosing tidy()). */
  *[Symbol.iterator](): Iterator<Batch> {
    const d = this._data;
    const order = this._order(new Int32Array(this.size));
    for (let s = 0; s < this.length; s++) {
      const start = s * this.batchSize, count = Math.min(this.batchSize, d.n - start);
      const b = batch(d, order, start, count, 'DataLoader', order ? new Int32Array(count) : null);
      yield { x: b.x, y: b.labels ? b.labels.slice() : b.target! };
    }
  }
}
