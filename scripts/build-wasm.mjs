// Builds the three variants of the compute core from one AssemblyScript source into dist/, beside
// the bundled library, so that `new URL('./simdnet-<variant>.wasm', import.meta.url)` finds them
// in every runtime and bundler. The runtime picks the best one the engine validates
// (bindings/runtime.ts).
//
// Each module gets a custom section `simdnet` holding its variant name, so that init() can tell
// which build it was handed (a precompiled WebAssembly.Module in Cloudflare Workers, bytes, a URL)
// and refuse a file that is not a simdnet build.
//
// The relaxed and simd variants also come as threads builds (simdnet-<variant>-threads.wasm, custom
// section `simdnet-threads`): atomics enabled, the memory imported (env.memory) and shared, with a
// maximum of 4 GiB, the start function exported as `_start` instead of run on instantiation. The
// runtime (bindings/threads/) instantiates the module once per worker on the same memory. Two
// properties of what asc 0.28 emits make that safe only while the source keeps them, so this
// script checks both and fails otherwise:
//   - data segments stay active (asc does not make them passive for shared memory), so every
//     worker's instantiation writes them again: they must hold constants only, hence no
//     `memory.data(size)` scratch anywhere in assembly/ (scratch lives in each thread's workspace);
//     `memory.data<T>([...])` of literal constants (math.ts's pre-splatted table) is read-only and
//     rewriting it with the same bytes is harmless;
//   - workers never run the start function, so it must be empty: no global may need a run-time
//     initialiser (constants and literals are fine; the TLSF heap initialises itself lazily, on the
//     calling thread, the only one that allocates).
import asc from 'assemblyscript/asc';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';

/** Pages (64 KiB) the threads builds' shared memory may grow to: 4 GiB, as the single-thread builds. */
export const THREADS_MAX_PAGES = 65536;
const threads = ['--enable', 'threads', '--importMemory', '--sharedMemory', '--maximumMemory', String(THREADS_MAX_PAGES), '--exportStart', '_start'];

const variants = [
  { name: 'relaxed', features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
  { name: 'simd', features: ['--enable', 'simd'] },
  { name: 'scalar', features: [] },
  { name: 'relaxed-threads', variant: 'relaxed', features: ['--enable', 'simd', '--enable', 'relaxed-simd', ...threads] },
  { name: 'simd-threads', variant: 'simd', features: ['--enable', 'simd', ...threads] },
];

function uleb128(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** A custom section (id 0): name and payload, both UTF-8. Valid anywhere in a module, so appended. */
function customSection(name, payload) {
  const enc = new TextEncoder();
  const n = enc.encode(name);
  const body = [...uleb128(n.length), ...n, ...enc.encode(payload)];
  return Uint8Array.from([0, ...uleb128(body.length), ...body]);
}

// Scratch in a data segment would be shared by every thread, and rewritten by each worker's instantiation.
for (const file of await readdir('assembly')) {
  const source = await readFile(`assembly/${file}`, 'utf8');
  if (/memory\.data\s*(<[^>]*>)?\s*\((?!\s*\[)/.test(source.replace(/\/\/.*$/gm, ''))) {
    console.error(`build-wasm: assembly/${file} uses memory.data(size); the threads builds share data segments between threads, so scratch must live in the workspace (assembly/workspace.ts)`);
    process.exit(1);
  }
}

const outDir = 'dist';
await mkdir(outDir, { recursive: true });
for (const v of variants) {
  const file = `${outDir}/simdnet-${v.name}.wasm`;
  const isThreads = v.variant !== undefined;
  const textFile = `${outDir}/.simdnet-${v.name}.wat`;
  const { error, stderr } = await asc.main([
    'assembly/index.ts',
    '--outFile', file,
    '-O3', '--noAssert', '--runtime', 'minimal', '--uncheckedBehavior', 'always',
    '--initialMemory', '2',
    ...v.features,
    ...(isThreads ? ['--textFile', textFile] : []),
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`asc failed for the ${v.name} variant: ${error.message}`);
    process.exit(1);
  }
  if (isThreads) {
    const text = await readFile(textFile, 'utf8');
    await rm(textFile);
    const start = /\n \(func \$~start\b([^]*?)\n \)/.exec(text);
    if (!start || start[1].trim() !== '') {
      console.error(`build-wasm: the ${v.name} build's start function is not empty; worker threads never run it, so no global may need a run-time initialiser:\n${start ? start[0] : '(no start function found)'}`);
      process.exit(1);
    }
  }
  const bytes = await readFile(file);
  const sections = [customSection('simdnet', v.variant ?? v.name)];
  if (isThreads) sections.push(customSection('simdnet-threads', '1'));
  await writeFile(file, Buffer.concat([bytes, ...sections]));
}
console.log(`built ${variants.map((v) => `${outDir}/simdnet-${v.name}.wasm`).join(', ')}`);
