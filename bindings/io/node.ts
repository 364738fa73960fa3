// Files on disk for Node, Deno and Bun. node:fs is imported when a function here is first called,
// so bundles for browsers and workers never load it. save/load themselves work on bytes.

import type { Module } from '../nn/module.js';
import { describe } from '../tensor.js';
import { save, load, loadModel, type SaveOptions, type LoadOptions } from './weights.js';

async function fs(): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to disk,
 * then renamed over `path`. A crash leaves either the old file or the new one, never half of one.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new Error(`writeFileAtomic: path must be a non-empty string, got ${typeof path}`);
  if (!(bytes instanceof Uint8Array)) throw new Error(`writeFileAtomic: bytes must be a Uint8Array (what save() returns), got ${describe(bytes)}`);
  const { open, rename, unlink } = await fs();
  const tmp = `${path}.${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  } catch (err) {
    throw new Error(`writeFileAtomic: cannot write ${path}: ${(err as Error).message}`);
  }
}

/** save(model) into a file, atomically (see writeFileAtomic). */
export async function saveFile(model: Module, path: string, options?: SaveOptions): Promise<void> {
  await writeFileAtomic(path, save(model, options));
}

async function read(path: string, op: string): Promise<Uint8Array> {
  if (typeof path !== 'string' || path === '') throw new Error(`${op}: path must be a non-empty string, got ${typeof path}`);
  const { readFile } = await fs();
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`${op}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** load(model, bytes) from a file. */
export async function loadFile(model: Module, path: string, options?: LoadOptions): Promise<void> {
  load(model, await read(path, 'loadFile'), options);
}

/** loadModel(bytes) from a file. */
export async function loadModelFile(path: string, options?: LoadOptions): Promise<Module> {
  return loadModel(await read(path, 'loadModelFile'), options);
}
