// Checkpoints: everything training needs to continue exactly where it stopped — the weights, the
// optimiser's state (momentum buffers, Adam moments, RMSprop/Adagrad/Adadelta accumulators, step
// counts, hyperparameters and the current lr), the scheduler's epoch count (and ReduceLROnPlateau's
// best metric and counters), the epoch and the random generator's state — in one
// safetensors file. The weights keep their state_dict names (so the file is also a weights file
// for load(…, { strict: false }) or PyTorch); optimiser tensors are named 'optimizer/<i>.<field>'
// and the rest is JSON in the 'simdnet.checkpoint' metadata.
//
// restore() checks the whole file against the model, optimiser and scheduler before it changes
// any of them. Training resumed from a checkpoint repeats training straight through bit for bit.

import { Tensor, shapeError, shapeStr, sameShape } from '../tensor.js';
import { Module } from '../nn/module.js';
import { Optimizer, checkNumber } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { Adam, AdamW } from '../optim/adam.js';
import { LRScheduler } from '../optim/schedule.js';
import { getRngState, setRngState, type RngState } from '../random.js';
import { parse, toBytes, isBlob, encode, checkMetadata, checkFinite, readFloat32, q } from './safetensors.js';
import { parseJson, isObject, show, type JsonObject, type JsonValue } from './json.js';
import {
  checkModule, describeModel, parameterEntries, matchParameters, rejectExtra, writeMatches, MODEL_KEY, type Bytes,
} from './weights.js';
import { options as checkOptions } from '../options.js';

export const CHECKPOINT_KEY = 'simdnet.checkpoint';
const OPT_PREFIX = 'optimizer/';

export interface CheckpointOptions {
  model: Module;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  /** Epochs completed (default 0). */
  epoch?: number;
  /** The generator's state (default: getRngState() now). */
  rngState?: RngState;
  /** Extra string → string entries for the file's __metadata__. */
  metadata?: Record<string, string>;
}

export interface RestoreOptions {
  model: Module;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  /** Refuse tensors neither the model nor the optimiser has (default true). */
  strict?: boolean;
  /** Load NaN/±Infinity values instead of refusing the file (default false). */
  allowNonFinite?: boolean;
}

export interface Restored {
  epoch: number;
  /** Pass it to setRngState() to continue the same random sequence (shuffling, dropout). */
  rngState: RngState;
  /** The file's other metadata (including what checkpoint({ metadata }) stored). */
  metadata: Record<string, string>;
}

function optimizerKind(opt: Optimizer): string {
  if (opt instanceof AdamW) return 'AdamW';
  if (opt instanceof Adam) return 'Adam';
  if (opt instanceof SGD) return 'SGD';
  return opt.constructor.name;
}

function hyperparameters(opt: Optimizer): Record<string, number | boolean | number[]> {
  if (opt instanceof Adam) return { lr: opt.lr, betas: [opt.beta1, opt.beta2], eps: opt.eps, weightDecay: opt.weightDecay };
  if (opt instanceof SGD) return { lr: opt.lr, momentum: opt.momentum, nesterov: opt.nesterov, weightDecay: opt.weightDecay };
  return { lr: opt.lr, ...opt.hyperparameters() };
}

function checkEpoch(v: unknown, op: string, what = 'epoch'): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${op}: ${what} must be a non-negative integer, got ${show(v)}`);
  return v;
}

/**
 * A checkpoint (safetensors bytes) of the model's weights, the optimiser's and scheduler's state,
 * the epoch and the random generator's state.
 */
export function checkpoint(options: CheckpointOptions): Uint8Array {
  const op = 'checkpoint';
  const { model, optimizer, scheduler, epoch = 0, rngState = getRngState(), metadata } = checkOptions<CheckpointOptions>(op, options,
    ['model', 'optimizer', 'scheduler', 'epoch', 'rngState', 'metadata'], { required: ['model'], example: '{ model, optimizer, scheduler, epoch }' });
  checkModule(model, op);
  checkEpoch(epoch, op);
  if (optimizer !== undefined && !(optimizer instanceof Optimizer)) throw new Error(`${op}: optimizer must be an optimiser (optim.SGD, optim.Adam, ...)`);
  if (scheduler !== undefined && !(scheduler instanceof LRScheduler)) throw new Error(`${op}: scheduler must be a learning-rate scheduler (optim.StepLR, ...)`);
  const saved = getRngState();
  try {
    setRngState(rngState); // validates it
  } catch (err) {
    throw new Error(`${op}: rngState is invalid: ${(err as Error).message}`);
  } finally {
    setRngState(saved);
  }
  const user = checkMetadata(metadata, op);
  for (const k of [MODEL_KEY, CHECKPOINT_KEY]) if (k in user) throw new Error(`${op}: metadata key '${k}' is reserved`);

  const entries: Array<{ name: string; shape: number[]; data: Tensor | Float32Array }> = parameterEntries(model, op);
  const state: JsonObject = { version: 1, epoch, rngState: { state: rngState.state, spare: rngState.spare } };
  if (optimizer) {
    const counts: JsonObject = {};
    for (const [key, v] of Object.entries(optimizer.stateDict())) {
      if (typeof v === 'number') { counts[key] = v; continue; }
      const i = Number(/^(\d+)\./.exec(key)?.[1] ?? NaN);
      const p = optimizer.params[i];
      const shape = p && p.size === v.length ? p.shape : [v.length];
      entries.push({ name: OPT_PREFIX + key, shape, data: v });
    }
    state.optimizer = { type: optimizerKind(optimizer), ...hyperparameters(optimizer), counts } as JsonObject;
  }
  if (scheduler) state.scheduler = { type: scheduler.constructor.name, lastEpoch: scheduler.lastEpoch, baseLr: scheduler.baseLr, ...scheduler.extraState() };
  const names = new Set(entries.map((e) => e.name));
  if (entries.length !== names.size) throw new Error(`${op}: a model parameter's name starts with '${OPT_PREFIX}', which checkpoints use for the optimiser's state`);
  const meta: Record<string, string> = { format: 'pt', ...user, [CHECKPOINT_KEY]: JSON.stringify(state) };
  const description = describeModel(model);
  if (description !== null) meta[MODEL_KEY] = description;
  return encode(entries, meta, op);
}

function field(obj: JsonObject, key: string, op: string, where: string): JsonValue {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) throw new Error(`${op}: the checkpoint's ${where} has no '${key}'`);
  return obj[key];
}

function readRngState(v: JsonValue, op: string): RngState {
  if (!isObject(v)) throw new Error(`${op}: the checkpoint's rngState must be { state, spare }`);
  if (typeof v.state !== 'number' || (v.spare !== null && v.spare !== undefined && typeof v.spare !== 'number')) {
    throw new Error(`${op}: the checkpoint's rngState is invalid: expected numbers, got state ${show(v.state)} and spare ${show(v.spare)}`);
  }
  const s = { state: v.state, spare: v.spare ?? null };
  const saved = getRngState();
  try {
    setRngState(s);
  } catch (err) {
    throw new Error(`${op}: the checkpoint's rngState is invalid: ${(err as Error).message}`);
  } finally {
    setRngState(saved);
  }
  return s;
}

/** checkNumber for a value from the file: anything but a number is refused before it sees it. */
function fileNumber(where: string, name: string, v: JsonValue | undefined, min = 0, max = Infinity, openMax = false): number {
  if (typeof v !== 'number') throw new Error(`${where}: ${name} must be a number, got ${show(v)}`);
  return checkNumber(where, name, v, min, max, openMax);
}

/** Checks the optimiser section; returns the function that applies its hyperparameters. */
function checkOptimizer(opt: Optimizer, section: JsonValue | undefined, op: string): { apply: () => void; counts: JsonObject } {
  if (!isObject(section)) throw new Error(`${op}: the checkpoint holds no optimiser state (it was made without an optimizer)`);
  const kind = optimizerKind(opt);
  const type = field(section, 'type', op, 'optimizer');
  if (type !== kind) throw new Error(`${op}: the checkpoint holds the state of ${typeof type === 'string' ? q(type) : show(type)}, but the optimizer is ${kind}`);
  const where = `${op}: the checkpoint's optimizer`;
  const lr = fileNumber(where, 'lr', field(section, 'lr', op, 'optimizer'));
  const counts = section.counts ?? {};
  if (!isObject(counts)) throw new Error(`${op}: the checkpoint's optimizer counts must be an object`);
  let apply = (): void => { opt.lr = lr; };
  if (opt instanceof Adam) {
    const betas = field(section, 'betas', op, 'optimizer');
    if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${where}: betas must be [beta1, beta2]`);
    const b1 = fileNumber(where, 'betas[0]', betas[0], 0, 1, true);
    const b2 = fileNumber(where, 'betas[1]', betas[1], 0, 1, true);
    const eps = fileNumber(where, 'eps', field(section, 'eps', op, 'optimizer'));
    const wd = fileNumber(where, 'weightDecay', field(section, 'weightDecay', op, 'optimizer'));
    apply = () => { opt.lr = lr; opt.beta1 = b1; opt.beta2 = b2; opt.eps = eps; opt.weightDecay = wd; };
  } else if (opt instanceof SGD) {
    const momentum = fileNumber(where, 'momentum', field(section, 'momentum', op, 'optimizer'));
    const wd = fileNumber(where, 'weightDecay', field(section, 'weightDecay', op, 'optimizer'));
    const nesterov = field(section, 'nesterov', op, 'optimizer');
    if (typeof nesterov !== 'boolean') throw new Error(`${where}: nesterov must be true or false`);
    if (nesterov && momentum <= 0) throw new Error(`${where}: nesterov needs momentum > 0`);
    apply = () => { opt.lr = lr; opt.momentum = momentum; opt.nesterov = nesterov; opt.weightDecay = wd; };
  } else {
    const values: Record<string, unknown> = {};
    for (const key of Object.keys(opt.hyperparameters())) values[key] = field(section, key, op, 'optimizer');
    const set = opt.checkHyperparameters(values, where);
    apply = () => { opt.lr = lr; set(); };
  }
  return { apply, counts };
}

function restoreBytes(source: unknown, options: RestoreOptions, op: string): Restored {
  const { model, optimizer, scheduler, strict = true, allowNonFinite = false } = checkOptions<RestoreOptions>(op, options,
    ['model', 'optimizer', 'scheduler', 'strict', 'allowNonFinite'], { required: ['model'], example: '{ model, optimizer, scheduler }' });
  checkModule(model, op);
  if (optimizer !== undefined && !(optimizer instanceof Optimizer)) throw new Error(`${op}: optimizer must be an optimiser (optim.SGD, optim.Adam, ...)`);
  if (scheduler !== undefined && !(scheduler instanceof LRScheduler)) throw new Error(`${op}: scheduler must be a learning-rate scheduler (optim.StepLR, ...)`);
  const file = parse(toBytes(source, op), op);
  const text = file.metadata[CHECKPOINT_KEY];
  if (text === undefined) throw new Error(`${op}: the file has no '${CHECKPOINT_KEY}' metadata (a weights file? use load(model, bytes))`);
  const state = parseJson(text, op, `the '${CHECKPOINT_KEY}' metadata`, 8);
  if (!isObject(state)) throw new Error(`${op}: the '${CHECKPOINT_KEY}' metadata must be a JSON object`);
  if (state.version !== 1) throw new Error(`${op}: checkpoint version ${show(state.version)} is not supported (this simdnet reads version 1)`);
  const epoch = checkEpoch(field(state, 'epoch', op, 'metadata'), op, "the checkpoint's epoch");
  const rngState = readRngState(field(state, 'rngState', op, 'metadata'), op);

  // The model's weights.
  const named = model.namedTensors();
  const { matches, extra } = matchParameters(file, named, op, { allowNonFinite });

  // The optimiser's state.
  let applyOptimizer = (): void => {};
  let optState: Record<string, Float32Array | number> | null = null;
  const optNames = new Set<string>();
  if (optimizer) {
    const { apply, counts } = checkOptimizer(optimizer, state.optimizer, op);
    applyOptimizer = apply;
    optState = Object.create(null) as Record<string, Float32Array | number>;
    for (const [key, v] of Object.entries(counts)) {
      if (typeof v !== 'number') throw new Error(`${op}: the checkpoint's optimizer count '${key}' must be a number`);
      optState[key] = v;
    }
    for (const name of extra) {
      if (!name.startsWith(OPT_PREFIX)) continue;
      const key = name.slice(OPT_PREFIX.length);
      const info = file.tensors.get(name)!;
      const m = /^(0|[1-9][0-9]{0,8})\./.exec(key);
      const p = m ? optimizer.params[Number(m[1])] : undefined;
      if (!p) throw new Error(`${op}: tensor ${q(name)} names no parameter of the optimiser (it has ${optimizer.params.length})`);
      if (!sameShape(info.shape, p._shape)) {
        throw shapeError(op, `tensor ${q(name)} has shape ${shapeStr(info.shape)}, but the optimiser's parameter ${m![1]} is ${shapeStr(p._shape)}`, info.shape, p._shape);
      }
      if (!allowNonFinite) checkFinite(file, info, op);
      optNames.add(name);
    }
    for (const name of optNames) optState[name.slice(OPT_PREFIX.length)] = readFloat32(file, file.tensors.get(name)!);
  }
  if (strict) rejectExtra(extra.filter((n) => !(n.startsWith(OPT_PREFIX) && (optNames.has(n) || !optimizer))), op);

  // The scheduler's epoch count.
  let lastEpoch = -1;
  let applyScheduler = (): void => {};
  if (scheduler) {
    const s = state.scheduler;
    if (!isObject(s)) throw new Error(`${op}: the checkpoint holds no scheduler state (it was made without a scheduler)`);
    if (s.type !== scheduler.constructor.name) throw new Error(`${op}: the checkpoint holds the state of ${typeof s.type === 'string' ? q(s.type) : show(s.type)}, but the scheduler is ${scheduler.constructor.name}`);
    lastEpoch = checkEpoch(s.lastEpoch, op, "the checkpoint's scheduler lastEpoch");
    if (s.baseLr !== scheduler.baseLr) {
      throw new Error(`${op}: the scheduler's base lr ${scheduler.baseLr} differs from the checkpoint's ${show(s.baseLr)} (make the optimiser with the original lr, then the scheduler, then restore)`);
    }
    const extra: Record<string, unknown> = {};
    for (const key of Object.keys(scheduler.extraState())) extra[key] = field(s, key, op, 'scheduler');
    applyScheduler = scheduler.checkExtraState(extra, `${op}: the checkpoint's scheduler`);
  }

  // Everything checked: load the optimiser's state (it allocates first, so out-of-memory changes
  // nothing), then write what cannot fail.
  if (optimizer && optState) {
    try {
      optimizer.loadStateDict(optState);
    } catch (err) {
      throw new Error(`${op}: the checkpoint's optimiser state does not fit: ${(err as Error).message}`);
    }
  }
  writeMatches(file, new Map(named), matches);
  applyOptimizer();
  if (scheduler) { scheduler.lastEpoch = lastEpoch; applyScheduler(); }
  const metadata: Record<string, string> = Object.fromEntries(Object.entries(file.metadata).filter(([k]) => k !== CHECKPOINT_KEY));
  return { epoch, rngState, metadata };
}

/**
 * Restores a checkpoint() into the model, optimiser and scheduler (a Blob gives a Promise) and
 * returns the epoch and the generator's state (setRngState(rngState) to continue its sequence).
 * The optimiser's hyperparameters and lr come from the checkpoint, as in PyTorch. Everything is
 * checked first; on any problem it throws an Error and changes nothing.
 */
export function restore(source: Bytes, options: RestoreOptions): Restored;
export function restore(source: Blob, options: RestoreOptions): Promise<Restored>;
export function restore(source: Bytes | Blob, options: RestoreOptions): Restored | Promise<Restored> {
  if (isBlob(source)) return source.arrayBuffer().then((buf) => restoreBytes(buf, options, 'restore'));
  return restoreBytes(source, options, 'restore');
}
