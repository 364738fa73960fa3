// The published types (dist/*.d.ts, written by `npm run build`): they show no private or internal
// members, and a TypeScript project that uses them type-checks with skipLibCheck: false under
// lib ["es2020", "dom"] and no @types (issue 15 item 7: no WeakRef, no Symbol.dispose, no Node).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = join(root, 'dist');

describe('dist/*.d.ts', () => {
  it('hold no private, #private or @internal members', () => {
    const files = readdirSync(dist, { recursive: true }).map(String).filter((f) => f.endsWith('.d.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offending = files.flatMap((f) => readFileSync(join(dist, f), 'utf8').split('\n')
      .filter((line) => /^\s*(private\b|#private\b)|@internal|\b_(shape|node|g|released|kept|param|gen|ref|data|rand|order)\b/.test(line))
      .map((line) => `${f}: ${line.trim()}`));
    expect(offending).toEqual([]);
  });

  it('type-check with skipLibCheck false under lib es2020 + dom, with a consumer using the API', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-types-'));
    try {
      writeFileSync(join(dir, 'consumer.ts'), `
import { init, tensor, nn, optim, fit, evaluate, data, callbacks, metrics, ops, type Tensor, type EpochLogs } from ${JSON.stringify(join(dist, 'index.js'))};
import { init as initInline } from ${JSON.stringify(join(dist, 'inline.js'))};
export async function main(): Promise<number> {
  await init();
  await initInline();
  const model = new nn.Sequential(new nn.Dense(4, 8), new nn.ReLU(), new nn.Dense(8, 3));
  const d = data.readCsv('a,b,c,d,y\\n1,2,3,4,0\\n', { label: 'y' });
  const es = new callbacks.EarlyStopping({ monitor: 'loss', patience: 2 });
  const h = await fit(model, d, { epochs: 1, optimizer: new optim.Adam(model.parameters()), callbacks: [es], onEpoch: (l: EpochLogs) => { void l.loss; } });
  const r = evaluate(model, d, { metrics: ['confusionMatrix', 'top2Accuracy'] });
  const t: Tensor = tensor([[1, 2]]);
  const m: number[][] = metrics.confusionMatrix([0], [0]);
  const px = data.fromPixels({ data: new Uint8Array(4), width: 1, height: 1 });
  const transposes: ops.MatmulOptions = { transposeB: true };
  const p: Tensor = ops.matmul(t, t, { transposeA: true }).matmul(t, transposes);
  // @ts-expect-error: the transpose flags are booleans
  ops.matmul(t, t, { transposeA: 1 });
  return h.loss[0] + (r.accuracy ?? 0) + t.size + m.length + px.size + (r.top2Accuracy ?? 0) + p.size;
}
`);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          target: 'ES2020', module: 'ESNext', moduleResolution: 'Bundler', lib: ['es2020', 'dom'], types: [],
          strict: true, skipLibCheck: false, noEmit: true,
        },
        files: ['consumer.ts', join(dist, 'index.d.ts'), join(dist, 'inline.d.ts')],
      }));
      let out = '';
      try {
        execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      } catch (err) {
        out = String((err as { stdout?: string }).stdout ?? err);
      }
      expect(out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
