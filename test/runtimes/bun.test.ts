// Bun (JavaScriptCore): a script in a project that depends on simdnet. The `bun` npm wrapper
// refuses to start when install scripts were skipped, so the platform binary runs directly.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  bunBinary, nodeReference, expectTrainsAndFrees, expectMatchesNode, expectClearErrors, makeProject, removeDir,
  parseResults, run, unavailable, requireBuilt, type Training, type Variant,
} from './harness';

const ref: Partial<Record<Variant, Training>> = {};
let project: string | undefined;

beforeAll(async () => {
  requireBuilt();
  for (const v of ['simd', 'scalar'] as const) ref[v] = await nodeReference(v);
  project = await makeProject('bun', ['script.mjs', 'run-all.mjs', 'spiral.mjs']);
});
afterAll(() => removeDir(project));

describe('Bun', () => {
  it("bun script.mjs: 'simdnet' trains, matches Node, frees its memory", async (ctx) => {
    const bun = bunBinary();
    if (bun === null) unavailable(ctx, 'Bun', `no @oven/bun-${process.platform}-${process.arch} binary (nor node_modules/bun/bin/bun.exe) in node_modules`);
    const version = await run(bun, ['--version'], { timeoutMs: 30_000 });
    if (version.code !== 0) unavailable(ctx, 'Bun', version.spawnError?.message ?? version.stderr.trim());
    const results = parseResults(await run(bun, ['script.mjs'], { cwd: project }), 'bun script.mjs');
    const def = expectTrainsAndFrees(results.runs.default, 'Bun default');
    expect(def.info.variant, 'init() picks the best build Bun validates').toBe(def.info.supported[0]);
    expect(def.info.supported).toContain('simd');
    expectMatchesNode(results.runs.simd, ref.simd!, 'Bun simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'Bun scalar');
    expectClearErrors(results, 'Bun');
  });
});
