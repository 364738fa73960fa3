// save / load a model's weights as safetensors, named and laid out exactly as PyTorch's
// state_dict ('0.weight' of a Dense is [out, in]), so files go both ways between simdnet and
// PyTorch / Hugging Face tooling. The model's description (toJSON()) rides along in the metadata,
// so loadModel() rebuilds a model from the file alone.
//
// load() validates the whole file against the model before it writes a single weight: a bad file
// throws an Error naming the tensor and the problem, and the model is exactly as it was.

import { Tensor, assertLive, describe, shapeError, shapeStr, sameShape } from '../tensor.js';
import { Module } from '../nn/module.js';
import { describeParameters, fromJSON } from '../nn/config.js';
import {
  parse, toBytes, isBlob, checkFinite, copyInto, encode, checkMetadata, q, readFloat32,
  type SafetensorsFile, type TensorInfo, type DType,
} from './safetensors.js';
import { parseJson } from './json.js';
import { options as checkOptions } from '../options.js';

/** The metadata key that holds the model's description (its toJSON(), as JSON text). */
export const MODEL_KEY = 'simdnet.model';

export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

export interface SaveOptions {
  /** Extra string → string entries for the file's __metadata__. */
  metadata?: Record<string, string>;
}

export interface LoadOptions {
  /** Refuse tensors the model does not have (default true); false ignores them. */
  strict?: boolean;
  /** Load NaN/±Infinity weights instead of refusing the file (default false). */
  allowNonFinite?: boolean;
}

const LOAD_KEYS = ['strict', 'allowNonFinite'];

export function checkModule(model: unknown, op: string): Module {
  if (!(model instanceof Module)) throw new Error(`${op}: expected an nn.Module, got ${describe(model)}`);
  return model;
}

/** The model's description, or null for modules that cannot describe themselves (custom classes). */
export function describeModel(model: Module): string | null {
  const toJSON = (model as unknown as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON !== 'function') return null;
  try {
    return JSON.stringify(toJSON.call(model));
  } catch {
    return null;
  }
}

/** The model's parameters and buffers (its state_dict) as safetensors entries, checked to be live. */
export function parameterEntries(model: Module, op: string): Array<{ name: string; shape: number[]; data: Tensor }> {
  return model.namedTensors().map(([name, p]) => {
    assertLive(p, `${op} (${name})`);
    return { name, shape: p.shape, data: p };
  });
}

/**
 * The model's weights as a safetensors file (Uint8Array): float32 tensors named as PyTorch's
 * state_dict, `format: 'pt'` and the model's description (for loadModel) in the metadata.
 */
export function save(model: Module, options: SaveOptions = {}): Uint8Array {
  const op = 'save';
  checkModule(model, op);
  const user = checkMetadata(checkOptions<SaveOptions>(op, options, ['metadata']).metadata, op);
  if (MODEL_KEY in user) throw new Error(`${op}: metadata key '${MODEL_KEY}' is reserved for the model's description`);
  const metadata: Record<string, string> = { format: 'pt', ...user };
  const description = describeModel(model);
  if (description !== null) metadata[MODEL_KEY] = description;
  return encode(parameterEntries(model, op), metadata, op);
}

/** One parameter and the file's tensor for it, checked and ready to copy. */
export interface Match { param: Tensor; info: TensorInfo }

/**
 * Checks the file's tensors against named parameters: every parameter present with the same shape,
 * finite unless allowed. Returns the matches and the names the file has beyond them.
 */
export function matchParameters(
  file: SafetensorsFile, named: Array<[string, Tensor | readonly number[]]>, op: string,
  { allowNonFinite = false, prefix = '' }: { allowNonFinite?: boolean; prefix?: string } = {},
): { matches: Array<[string, TensorInfo]>; extra: string[] } {
  const matches: Array<[string, TensorInfo]> = [];
  const wanted = new Set<string>();
  const missing: string[] = [];
  for (const [name, p] of named) {
    const key = prefix + name;
    wanted.add(key);
    if (p instanceof Tensor) assertLive(p, `${op} (${name})`);
    const shape = p instanceof Tensor ? p._shape : p;
    const info = file.tensors.get(key);
    if (!info) { missing.push(key); continue; }
    if (!sameShape(info.shape, shape)) {
      throw shapeError(op, `tensor ${q(key)} has shape ${shapeStr(info.shape)} in the file, but the model's parameter is ${shapeStr(shape)}`, info.shape, shape);
    }
    matches.push([name, info]);
  }
  if (missing.length > 0) {
    const first = named.find(([n]) => prefix + n === missing[0])!;
    const shape = first[1] instanceof Tensor ? first[1]._shape : first[1];
    throw shapeError(op, `the file has no tensor ${q(missing[0])}${missing.length > 1 ? ` (nor ${missing.slice(1, 4).map(q).join(', ')}${missing.length > 4 ? ', …' : ''})` : ''} (wrong file, or a different model?)`, shape);
  }
  if (!allowNonFinite) for (const [, info] of matches) checkFinite(file, info, op);
  const extra = [...file.tensors.keys()].filter((k) => !wanted.has(k));
  return { matches, extra };
}

export function rejectExtra(extra: string[], op: string): void {
  if (extra.length === 0) return;
  throw new Error(`${op}: the file has tensor${extra.length > 1 ? 's' : ''} ${extra.slice(0, 4).map(q).join(', ')}${extra.length > 4 ? `, … (${extra.length} in all)` : ''} the model does not have (pass { strict: false } to ignore ${extra.length > 1 ? 'them' : 'it'})`);
}

/** Writes checked matches into the parameters. Cannot fail. */
export function writeMatches(file: SafetensorsFile, params: Map<string, Tensor>, matches: Array<[string, TensorInfo]>): void {
  for (const [name, info] of matches) copyInto(file, info, params.get(name)!.ptr);
}

function loadBytes(model: Module, source: unknown, options: LoadOptions | undefined, op: string): void {
  checkModule(model, op);
  const { strict = true, allowNonFinite = false } = checkOptions<LoadOptions>(op, options, LOAD_KEYS);
  const file = parse(toBytes(source, op), op);
  const named = model.namedTensors();
  const { matches, extra } = matchParameters(file, named, op, { allowNonFinite });
  if (strict) rejectExtra(extra, op);
  writeMatches(file, new Map(named), matches);
}

/**
 * Overwrites the model's weights from a safetensors file (its bytes, or a Blob — then it returns
 * a Promise). F32 tensors load as they are; F16, BF16, F64 and I64 are converted to float32. The whole
 * file is checked first; on any problem it throws an Error naming the tensor, and no weight changes.
 */
export function load(model: Module, source: Bytes, options?: LoadOptions): void;
export function load(model: Module, source: Blob, options?: LoadOptions): Promise<void>;
export function load(model: Module, source: Bytes | Blob, options?: LoadOptions): void | Promise<void> {
  if (isBlob(source)) return source.arrayBuffer().then((buf) => loadBytes(model, buf, options, 'load'));
  loadBytes(model, source, options, 'load');
}

function loadModelBytes(source: unknown, options: LoadOptions | undefined, op: string): Module {
  const { strict = true, allowNonFinite = false } = checkOptions<LoadOptions>(op, options, LOAD_KEYS);
  const file = parse(toBytes(source, op), op);
  const text = file.metadata[MODEL_KEY];
  if (text === undefined) {
    throw new Error(`${op}: the file has no '${MODEL_KEY}' metadata (it holds weights only: build the model in code and use load(model, bytes))`);
  }
  const description = parseJson(text, op, `the '${MODEL_KEY}' metadata`, 80);
  let planned: Array<[string, number[]]>;
  try {
    planned = describeParameters(description);
  } catch (err) {
    throw new Error(`${op}: the model description in the file is invalid: ${(err as Error).message}`);
  }
  // Check the file against the description before building anything, so a description that asks
  // for more than the file holds allocates nothing.
  const { extra } = matchParameters(file, planned, op, { allowNonFinite });
  if (strict) rejectExtra(extra, op);
  const model = fromJSON(description as any, { init: 'zeros' });
  try {
    loadBytes(model, file.bytes, { strict, allowNonFinite: true }, op);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/**
 * Rebuilds a model from a file save() wrote: the architecture from its metadata, the weights from
 * its tensors (a Blob gives a Promise). Checks the description and every tensor before allocating.
 */
export function loadModel(source: Bytes, options?: LoadOptions): Module;
export function loadModel(source: Blob, options?: LoadOptions): Promise<Module>;
export function loadModel(source: Bytes | Blob, options?: LoadOptions): Module | Promise<Module> {
  if (isBlob(source)) return source.arrayBuffer().then((buf) => loadModelBytes(buf, options, 'loadModel'));
  return loadModelBytes(source, options, 'loadModel');
}

export interface SafetensorsTensor { dtype: DType; shape: number[]; data: Float32Array }

/**
 * Every tensor of a safetensors file as float32, with the metadata: for looking inside a file
 * (the same checks as load(), NaN/Inf allowed).
 */
export function readSafetensors(source: Bytes): { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> } {
  const op = 'readSafetensors';
  const file = parse(toBytes(source, op), op);
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, info] of file.tensors) tensors[name] = { dtype: info.dtype, shape: info.shape.slice(), data: readFloat32(file, info) };
  return { tensors, metadata: { ...file.metadata } };
}

/** Writes named float32 arrays (or tensors) as a safetensors file. */
export function writeSafetensors(
  tensors: Record<string, Tensor | { shape: number[]; data: Float32Array }>, metadata?: Record<string, string>,
): Uint8Array {
  const op = 'writeSafetensors';
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) throw new Error(`${op}: expected an object of tensors by name, got ${describe(tensors)}`);
  const entries = Object.entries(tensors).map(([name, t]) => {
    if (t instanceof Tensor) { assertLive(t, op); return { name, shape: t.shape, data: t }; }
    if (!t || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) throw new Error(`${op}: tensor ${q(name)} must be a Tensor or { shape, data: Float32Array }`);
    return { name, shape: t.shape, data: t.data };
  });
  return encode(entries, checkMetadata(metadata, op), op);
}
