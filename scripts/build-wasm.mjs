// Builds the three variants of the compute core from one AssemblyScript source into dist/, beside
// the bundled library, so that `new URL('./simdnet-<variant>.wasm', import.meta.url)` finds them
// in every runtime and bundler. The runtime picks the best one the engine validates
// (bindings/runtime.ts).
//
// Each module gets a custom section `simdnet` holding its variant name, so that init() can tell
// which build it was handed (a precompiled WebAssembly.Module in Cloudflare Workers, bytes, a URL)
// and refuse a file that is not a simdnet build.
import asc from 'assemblyscript/asc';
import { mkdir, readFile, writeFile } from 'node:fs/promises';

const variants = [
  { name: 'relaxed', features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
  { name: 'simd', features: ['--enable', 'simd'] },
  { name: 'scalar', features: [] },
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

const outDir = 'dist';
await mkdir(outDir, { recursive: true });
for (const v of variants) {
  const file = `${outDir}/simdnet-${v.name}.wasm`;
  const { error, stderr } = await asc.main([
    'assembly/index.ts',
    '--outFile', file,
    '-O3', '--noAssert', '--runtime', 'minimal', '--uncheckedBehavior', 'always',
    '--initialMemory', '2',
    ...v.features,
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`asc failed for the ${v.name} variant: ${error.message}`);
    process.exit(1);
  }
  const bytes = await readFile(file);
  await writeFile(file, Buffer.concat([bytes, customSection('simdnet', v.name)]));
}
console.log(`built ${variants.map((v) => `${outDir}/simdnet-${v.name}.wasm`).join(', ')}`);
