// Cloudflare workerd, through miniflare: Workers forbid compiling WebAssembly at run time, so the
// worker imports the .wasm builds as modules (CompiledWasm) and passes one to init({ module }).
// miniflare does not resolve bare imports, so the worker is bundled first with esbuild using
// wrangler's conditions (workerd, worker, browser), the .wasm imports left as modules beside it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { build, type Plugin } from 'esbuild';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  nodeReference, expectTrainsAndFrees, expectMatchesNode, makeProject, removeDir, unavailable,
  requireBuilt, training, type Results, type Training, type Variant,
} from './harness';

const ref: Partial<Record<Variant, Training>> = {};
let project: string | undefined;
let out: string;

/** What wrangler does with `import wasm from '...wasm'`: resolve it, copy it beside the bundle, keep the import. */
const wasmModules = (outDir: string): Plugin => ({
  name: 'wasm-modules',
  setup(b) {
    b.onResolve({ filter: /\.wasm$/ }, async (args) => {
      if (args.pluginData?.resolving) return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { resolving: true } });
      if (found.errors.length) return { errors: found.errors };
      await copyFile(found.path, join(outDir, basename(found.path)));
      return { path: `./${basename(found.path)}`, external: true };
    });
  },
});

beforeAll(async () => {
  requireBuilt();
  for (const v of ['simd', 'scalar'] as const) ref[v] = await nodeReference(v);
  project = await makeProject('workerd', ['cloudflare-worker.mjs', 'run-all.mjs', 'spiral.mjs']);
  out = join(project, 'out');
  await mkdir(out);
  await build({
    entryPoints: [join(project, 'cloudflare-worker.mjs')], outfile: join(out, 'worker.js'),
    bundle: true, format: 'esm', platform: 'browser', conditions: ['workerd', 'worker', 'browser'],
    plugins: [wasmModules(out)], logLevel: 'error',
  });
}, 60_000);
afterAll(() => removeDir(project));

async function startWorker(options: Record<string, unknown>): Promise<{ fetch(): Promise<Response>; dispose(): Promise<void> }> {
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({ compatibilityDate: '2025-09-01', ...options } as any);
  await mf.ready;
  return { fetch: () => mf.dispatchFetch('http://localhost/') as unknown as Promise<Response>, dispose: () => mf.dispose() };
}

describe('Cloudflare workerd', () => {
  it('a Worker passing an imported .wasm to init({ module }) trains, matches Node, frees its memory', async (ctx) => {
    // Can workerd start at all? A worker with no simdnet in it.
    try {
      const probe = await startWorker({ modules: true, script: 'export default { fetch() { return new Response("ok"); } }' });
      try {
        expect(await (await probe.fetch()).text()).toBe('ok');
      } finally {
        await probe.dispose();
      }
    } catch (err) {
      unavailable(ctx, 'workerd', (err as Error).message.split('\n')[0]);
    }

    const bundle = await readFile(join(out, 'worker.js'), 'utf8');
    expect(bundle, 'the worker bundle is the browser build: no node: imports').not.toMatch(/["']node:/);
    const worker = await startWorker({
      modulesRoot: out,
      modules: [
        { type: 'ESModule', path: join(out, 'worker.js') },
        ...['relaxed', 'simd', 'scalar'].map((v) => ({ type: 'CompiledWasm', path: join(out, `simdnet-${v}.wasm`) })),
      ],
    });
    let results: Results;
    try {
      const res = await worker.fetch();
      const text = await res.text();
      if (res.status !== 200) throw new Error(`the worker answered ${res.status}: ${text}`);
      results = JSON.parse(text);
    } finally {
      await worker.dispose();
    }

    const def = expectTrainsAndFrees(results.runs.default, 'workerd relaxed module');
    expect(def.info).toMatchObject({ variant: 'relaxed', source: 'module' });
    expect(training(results.runs.simd, 'workerd simd').info.variant, 'the variant is read from the module').toBe('simd');
    expectMatchesNode(results.runs.simd, ref.simd!, 'workerd simd');
    expectMatchesNode(results.runs.scalar, ref.scalar!, 'workerd scalar');
    expect(results.beforeInit).toMatch(/^simdnet: tensor\(\) called before init\(\)/);
    expect(results.noModule).toMatch(/^init: Cloudflare Workers cannot fetch or compile WebAssembly at run time; .*init\(\{ module: wasm \}\)/);
    expect(results.corrupt).toMatch(/^init: could not compile the WebAssembly from bytes: .*Cloudflare Workers forbid compiling bytes/);
    expect(results.badUrl).toMatch(/^init: .*simdnet-missing\.wasm/);
    // issue 10: no threads in workerd, and it says so
    expect(results.threadsAuto).toMatchObject({ threads: 1, threadsUnavailable: expect.stringMatching(/Worker|SharedArrayBuffer/) });
    expect(results.threadsTwo).toMatch(/^init: threads: 2 cannot run here: /);
  });
});
