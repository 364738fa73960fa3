// Deno (the `deno` npm package's binary): a script in a project that depends on simdnet, run with
// read permission only (the library reads no environment), resolving 'simdnet' from node_modules.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import {
  ROOT, nodeReference, expectTrainsAndFrees, expectMatchesNode, expectClearErrors, makeProject, removeDir,
  parseResults, run, unavailable, requireBuilt, type Training, type Variant,
} from './harness';

const DENO = join(ROOT, 'node_modules', '.bin', 'deno');
const ref: Partial<Record<Variant, Training>> = {};
let project: string | undefined;

beforeAll(async () => {
  requireBuilt();
  for (const v of ['simd', 'scalar'] as const) ref[v] = await nodeReference(v);
  project = await makeProject('deno', ['script.mjs', 'run-all.mjs', 'spiral.mjs']);
});
afterAll(() => removeDir(project));

describe('Deno', () => {
  it("deno run --allow-read: 'simdnet' trains, matches Node, frees its memory", async (ctx) => {
    const version = await run(DENO, ['--version'], { timeoutMs: 30_000 });
    if (version.code !== 0) unavailable(ctx, 'Deno', version.spawnError?.message ?? version.stderr.trim());
    const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
    const exit = await run(DENO, ['run', '--allow-read', '--node-modules-dir=manual', 'script.mjs'], { cwd: project, env });
    const results = parseResults(exit, 'deno run script.mjs');
    const def = expectTrainsAndFrees(results.runs.default, 'Deno default');
    expect(def.info.variant, `Deno ${version.stdout.split('\n')[0]} validates relaxed SIMD`).toBe('relaxed');
    expect(def.info.source).toMatch(/^file:.*\/dist\/simdnet-relaxed(-threads)?\.wasm$/);
    expectMatchesNode(results.runs.simd, ref.simd!, 'Deno simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'Deno scalar');
    expectClearErrors(results, 'Deno');
  });
});
