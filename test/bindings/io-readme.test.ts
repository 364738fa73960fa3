// The README's "Save, resume and export" snippets, run as written (with 'simdnet' resolved to the
// bindings), in a temporary working directory.
import { describe, it, expect } from 'vitest';
import { readFileSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const bindings = fileURLToPath(new URL('../../bindings/index.ts', import.meta.url));

function section(title: string): string {
  const start = readme.indexOf(`## ${title}\n`);
  expect(start, `README section '${title}'`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README: Save, resume and export', () => {
  it('its snippets run as written', async () => {
    const blocks = [...section('Save, resume and export').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBe(2);
    const code = `${blocks.join('\n').replaceAll("from 'simdnet'", `from ${JSON.stringify(bindings)}`)}
export { model, copy, same, bytes, ckpt, onnx, epoch, opt };
`;
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-readme-'));
    const cwd = process.cwd();
    try {
      const file = join(dir, 'snippet.ts');
      writeFileSync(file, code);
      process.chdir(dir);
      const m = await import(/* @vite-ignore */ file);
      expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
      expect(m.bytes).toBeInstanceOf(Uint8Array);
      expect(m.copy.toJSON()).toEqual(m.model.toJSON());
      expect(m.same.toJSON()).toEqual(m.model.toJSON());
      expect(m.epoch).toBe(3);
      expect(m.opt.lr).toBe(0.05 * 0.5 ** 3); // StepLR(2, 0.5) after 6 epochs: resumed, not restarted
      const session = await ort.InferenceSession.create(m.onnx);
      const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(8), [2, 4]) });
      const p = out.output.data as Float32Array;
      expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 5);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README: From PyTorch to the browser', () => {
  it('its snippet runs as written on the exported MNIST CNN (fetch served from the fixture)', async () => {
    const blocks = [...section('From PyTorch to the browser').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBe(1);
    const code = `${blocks[0].replaceAll("from 'simdnet'", `from ${JSON.stringify(bindings)}`)}
export { model, scores, history, weights, onnx, images };
`;
    const onnxFile = readFileSync(new URL('../fixtures/onnx/mnist-cnn-opset13.onnx', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-readme-'));
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string) => {
      expect(url).toBe('model.onnx');
      return new Response(onnxFile);
    }) as typeof fetch;
    try {
      const file = join(dir, 'snippet.ts');
      writeFileSync(file, code);
      const m = await import(/* @vite-ignore */ file);
      const { nn, loadModel, tensor, noGrad, tidy } = await import(/* @vite-ignore */ bindings);
      expect(m.model).toBeInstanceOf(nn.Sequential);
      expect(m.scores.length).toBe(40);
      expect(m.history.loss.length).toBe(3);
      expect(m.history.loss[2]).toBeLessThan(m.history.loss[0]);
      m.model.eval();
      const mine = noGrad(() => tidy(() => m.model.forward(tensor(m.images, [4, 1, 28, 28])).data()));
      const copy = loadModel(m.weights);
      expect(noGrad(() => tidy(() => copy.forward(tensor(m.images, [4, 1, 28, 28])).data()))).toEqual(mine);
      copy.dispose();
      const session = await ort.InferenceSession.create(m.onnx);
      const out = await session.run({ input: new ort.Tensor('float32', m.images, [4, 1, 28, 28]) });
      const p = out.output.data as Float32Array;
      for (let i = 0; i < 4; i++) {
        const row = Array.from(mine.subarray(i * 10, i * 10 + 10));
        const max = Math.max(...row), z = row.reduce((s, v) => s + Math.exp(v - max), 0);
        for (let k = 0; k < 10; k++) expect(p[i * 10 + k]).toBeCloseTo(Math.exp(row[k] - max) / z, 5);
      }
      m.model.dispose();
    } finally {
      globalThis.fetch = realFetch;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
