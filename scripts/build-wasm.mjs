// Builds the three variants of the compute core from one AssemblyScript source.
// The runtime picks the best one the engine validates (bindings/runtime.ts).
import asc from 'assemblyscript/asc';
import { mkdir } from 'node:fs/promises';

const variants = [
  { name: 'relaxed', features: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
  { name: 'simd', features: ['--enable', 'simd'] },
  { name: 'scalar', features: [] },
];

await mkdir('build', { recursive: true });
for (const v of variants) {
  const { error, stderr } = await asc.main([
    'assembly/index.ts',
    '--outFile', `build/simdnet-${v.name}.wasm`,
    '-O3', '--noAssert', '--runtime', 'minimal', '--uncheckedBehavior', 'always',
    '--initialMemory', '2',
    ...v.features,
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`asc failed for the ${v.name} variant: ${error.message}`);
    process.exit(1);
  }
}
console.log(`built ${variants.map((v) => `build/simdnet-${v.name}.wasm`).join(', ')}`);
