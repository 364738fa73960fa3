// Node: the bundle Node users get (dist/index.js, the exports map's `node` condition), in this
// process and in a project that imports 'simdnet' by name; Node with SIMD switched off falls back
// to the scalar build; simdnet/inline in Node.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  nodeReference, expectTrainsAndFrees, expectMatchesNode, expectClearErrors, makeProject, removeDir,
  parseResults, run, unavailable, requireBuilt, training, type Training, type Variant,
} from './harness';

const ref: Partial<Record<Variant, Training>> = {};
let project: string | undefined;

beforeAll(async () => {
  requireBuilt();
  for (const v of ['simd', 'scalar'] as const) ref[v] = await nodeReference(v);
  project = await makeProject('node', ['script.mjs', 'run-all.mjs', 'spiral.mjs']);
});
afterAll(() => removeDir(project));

describe('Node', () => {
  it('trains the spiral net with every build, and memory() returns to baseline after dispose()', async () => {
    // vitest runs Node with --experimental-wasm-relaxed-simd, so all three builds load here.
    const relaxed = await nodeReference('relaxed');
    expect(relaxed.info.variant).toBe('relaxed');
    expectTrainsAndFrees(relaxed, 'Node relaxed');
    expectTrainsAndFrees(ref.simd, 'Node simd');
    expectTrainsAndFrees(ref.scalar, 'Node scalar');
    // One thread per core by default: the threads build of the variant where there are two or more.
    const cores = (await import('node:os')).availableParallelism();
    expect(ref.simd!.info.threads).toBe(Math.min(64, cores));
    expect(ref.simd!.info.source).toMatch(cores > 1 ? /\/dist\/simdnet-simd-threads\.wasm$/ : /\/dist\/simdnet-simd\.wasm$/);
    expect(ref.scalar!.info).toMatchObject({ threads: 1, threadsUnavailable: 'no WebAssembly SIMD, and only the SIMD builds come with threads' });
  });

  it("a script importing 'simdnet' from its node_modules loads the node build and matches", async () => {
    const results = parseResults(await run(process.execPath, ['script.mjs'], { cwd: project }), 'node script.mjs');
    // Node 20 without --experimental-wasm-relaxed-simd: plain SIMD is the best it validates.
    const def = expectTrainsAndFrees(results.runs.default, 'Node script default');
    expect(def.info.supported[0]).toBe(def.info.variant);
    expect(def.info.source).toMatch(/^file:.*\/dist\/simdnet-\w+(-threads)?\.wasm$/);
    expectMatchesNode(results.runs.simd, ref.simd!, 'Node script simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'Node script scalar');
    expectClearErrors(results, 'Node script');
  });

  it('with WebAssembly SIMD switched off (--no-enable-sse4-1), init() loads the scalar build and says so', async (ctx) => {
    // V8 needs SSE4.1 for WebAssembly SIMD on x64; without it the engine rejects every SIMD module,
    // as an engine without SIMD would. No such switch exists on other architectures.
    if (process.arch !== 'x64') unavailable(ctx, 'Node without SIMD', `--no-enable-sse4-1 only disables WebAssembly SIMD on x64, this is ${process.arch}`);
    const results = parseResults(await run(process.execPath, ['--no-enable-sse4-1', 'script.mjs'], { cwd: project }), 'node --no-enable-sse4-1');
    const def = training(results.runs.default, 'Node without SIMD');
    expect(def.info).toMatchObject({ variant: 'scalar', simd: false, relaxedSimd: false, supported: ['scalar'] });
    expect(def.info.source).toMatch(/\/dist\/simdnet-scalar\.wasm$/);
    expectMatchesNode(def, ref.scalar!, 'Node without SIMD, default');
    expect(results.runs.simd).toEqual({ error: "init: the 'simd' build needs WebAssembly features this engine lacks (it supports scalar)" });
    expectClearErrors(results, 'Node without SIMD');
  });

  it('simdnet/inline needs no .wasm file and matches', async () => {
    const inline = await import('../../dist/inline.js');
    const { runAll } = await import('./fixtures/run-all.mjs');
    const results = await runAll(inline);
    const def = expectTrainsAndFrees(results.runs.default, 'inline default');
    expect(def.info.source).toBe('inline');
    expectMatchesNode(results.runs.simd, ref.simd!, 'inline simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'inline scalar');
    expectClearErrors(results, 'inline');
  });
});
