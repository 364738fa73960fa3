// readIdx: the IDX format of the MNIST files (LeCun): two zero bytes, a type byte, the number of
// dimensions, each dimension as a big-endian uint32, then the values, big-endian.

import { describe } from '../tensor.js';

const TYPES: Record<number, [string, number]> = {
  0x08: ['uint8', 1], 0x09: ['int8', 1], 0x0b: ['int16', 2], 0x0c: ['int32', 4], 0x0d: ['float32', 4], 0x0e: ['float64', 8],
};

export interface IdxData {
  /** Size of each dimension, e.g. [60000, 28, 28]. */
  dims: number[];
  /** 'uint8', 'int8', 'int16', 'int32', 'float32' or 'float64'. */
  type: string;
  /** The values, row-major, in the file's type (uint8 data is a view of the bytes, not a copy). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Parses an IDX file's bytes (e.g. train-images-idx3-ubyte); checks the header against the length. */
export function readIdx(bytes: Uint8Array | ArrayBuffer): IdxData {
  const op = 'readIdx';
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(b instanceof Uint8Array)) throw new Error(`${op}: expected the file's bytes (Uint8Array or ArrayBuffer), got ${describe(bytes)}`);
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) throw new Error(`${op}: not an IDX file (it must start with two zero bytes, a type and a dimension count)`);
  const t = TYPES[b[2]];
  if (!t) throw new Error(`${op}: unknown IDX type byte 0x${b[2].toString(16).padStart(2, '0')} (known: 08 uint8, 09 int8, 0b int16, 0c int32, 0d float32, 0e float64)`);
  const rank = b[3];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const offset = 4 + 4 * rank;
  if (b.length < offset) throw new Error(`${op}: the header names ${rank} dimensions but the file has only ${b.length} bytes`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const [type, size] = t;
  const count = dims.reduce((a, c) => a * c, 1);
  if (b.length !== offset + count * size) {
    throw new Error(`${op}: dimensions [${dims.join(', ')}] of ${type} need ${offset + count * size} bytes, the file has ${b.length}`);
  }
  if (type === 'uint8') return { dims, type, data: b.subarray(offset) };
  const read: Record<string, [new (n: number) => IdxData['data'], (at: number) => number]> = {
    int8: [Int8Array, (at) => view.getInt8(at)],
    int16: [Int16Array, (at) => view.getInt16(at)],
    int32: [Int32Array, (at) => view.getInt32(at)],
    float32: [Float32Array, (at) => view.getFloat32(at)],
    float64: [Float64Array, (at) => view.getFloat64(at)],
  };
  const [Ctor, get] = read[type];
  const data = new Ctor(count);
  for (let i = 0; i < count; i++) data[i] = get(offset + i * size);
  return { dims, type, data };
}
