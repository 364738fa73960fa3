// The ONNX protobuf decoder against what the onnx Python package reads from the same files (the
// fixtures' `graphs`), against toOnnx's own output, and on hand-made malformed files.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, nn, toOnnx } from '../../bindings/index';
import { decodeOnnx, tensorNumbers, ProtoWriter, AT, ALLOC_FACTOR } from '../../bindings/io/onnx-proto';

beforeAll(async () => { await init(); });

const dir = new URL('../fixtures/onnx/', import.meta.url);
const MODELS = ['mlp', 'mnist-cnn', 'residual', 'depthwise', 'branch', 'gelu-mlp', 'asymmetric'];

describe('decodeOnnx on torch.onnx.export files', () => {
  for (const name of MODELS) {
    const fixture = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8'));
    for (const opset of Object.keys(fixture.graphs).map(Number)) {
      it(`${name} opset ${opset} reads as onnx reads it`, () => {
        const ref = fixture.graphs[String(opset)];
        const m = decodeOnnx(readFileSync(new URL(`${name}-opset${opset}.onnx`, dir)));
        expect(m.irVersion).toBe(ref.irVersion);
        expect(m.opsets.map((o) => [o.domain, o.version])).toEqual(ref.opsets);
        expect(m.graph.nodes.map((n) => [n.opType, n.name, n.inputs, n.outputs, n.attributes.map((a) => {
          let v: unknown;
          switch (a.type) {
            case AT.FLOAT: v = a.f; break;
            case AT.INT: v = a.i; break;
            case AT.STRING: v = new TextDecoder().decode(a.s!); break;
            case AT.INTS: v = a.ints; break;
            case AT.FLOATS: v = a.floats; break;
            case AT.TENSOR: v = { dims: a.t!.dims, dataType: a.t!.dataType }; break;
            default: v = null;
          }
          return [a.name, a.type, v];
        })])).toEqual(ref.nodes.map((n: any) => [n[0], n[1], n[2], n[3], n[4].map((a: any) => [a[0], a[1], a[1] === AT.FLOAT ? Math.fround(a[2]) : a[2]])]));
        expect(m.graph.initializers.map((t) => [t.name, t.dims, t.dataType])).toEqual(ref.initializers);
        expect(m.graph.inputs.map((v) => [v.name, v.shape])).toEqual(ref.inputs);
        expect(m.graph.outputs.map((v) => [v.name, v.shape])).toEqual(ref.outputs);
      });
    }
  }
});

describe('decodeOnnx', () => {
  it("reads toOnnx's output back (one codec, both directions)", () => {
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.ReLU(), new nn.Flatten(), new nn.Dense(2 * 4 * 4, 3));
    const m = decodeOnnx(toOnnx(model, { inputShape: [1, 4, 4] }));
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Flatten', 'Gemm']);
    expect(m.graph.initializers.map((t) => [t.name, t.dims])).toEqual([['0.weight', [2, 1, 3, 3]], ['0.bias', [2]], ['3.weight', [3, 32]], ['3.bias', [3]]]);
    expect(m.graph.inputs[0].shape).toEqual(['batch', 1, 4, 4]);
    expect(Array.from(new Float32Array(m.graph.initializers[0].raw!.slice().buffer))).toEqual(Array.from(model.layers[0].stateDict().weight));
    model.dispose();
  });

  it('reads negative and int64-max values, packed and unpacked', () => {
    const t = new ProtoWriter().packedInts(1, [3]).int(2, 7).int(7, -1).int(7, 2 ** 40).int(7, Number.MAX_SAFE_INTEGER);
    const packed = new ProtoWriter().packedInts(1, [2]).int(2, 7).packedInts(7, [-5, 9223372036854775807n as unknown as number]);
    const node = new ProtoWriter().string(4, 'Constant').message(5, new ProtoWriter().string(1, 'value').int(20, AT.TENSOR).message(5, t))
      .message(5, new ProtoWriter().string(1, 'value2').int(20, AT.TENSOR).message(5, packed));
    const m = decodeOnnx(new ProtoWriter().message(7, new ProtoWriter().message(1, node)).finish());
    const [a, b] = m.graph.nodes[0].attributes;
    expect(tensorNumbers(a.t!)).toEqual([-1, 2 ** 40, Number.MAX_SAFE_INTEGER]);
    expect(tensorNumbers(b.t!)).toEqual([-5, 2 ** 63]);
  });

  const graphWith = (tensor: ProtoWriter): Uint8Array => new ProtoWriter().message(7, new ProtoWriter().message(5, tensor)).finish();
  const bad: Array<[string, () => Uint8Array, RegExp]> = [
    ['an empty file', () => new Uint8Array(0), /no graph/],
    ['a length past the end', () => Uint8Array.from([0x3a, 0x7f, 0x0a]), /length 127 .* runs past the end/],
    ['a truncated varint', () => Uint8Array.from([0x08, 0xff, 0xff]), /varint runs past the end/],
    ['an 11-byte varint', () => Uint8Array.from([0x08, ...new Array(10).fill(0xff), 0x01]), /varint longer than 10 bytes/],
    ['a group wire type', () => Uint8Array.from([0x0b]), /wire type 3/],
    ['raw_data shorter than its dims', () => graphWith(new ProtoWriter().packedInts(1, [2, 3]).int(2, 1).string(8, 'w').bytes(9, new Uint8Array(20))), /tensor 'w': raw_data has 20 bytes, dims \[2, 3\] of FLOAT need 24/],
    ['dims claiming 2^40 elements', () => graphWith(new ProtoWriter().packedInts(1, [2 ** 20, 2 ** 20]).int(2, 1).string(8, 'w').bytes(9, new Uint8Array(4))), /more than 2\^30 elements/],
    ['a negative dim', () => graphWith(new ProtoWriter().packedInts(1, [-4]).int(2, 1).string(8, 'w').bytes(9, new Uint8Array(4))), /negative/],
    ['external data', () => graphWith(new ProtoWriter().packedInts(1, [1]).int(2, 1).string(8, 'w').int(14, 1)), /external data is not accepted/],
    ['float_data count off', () => graphWith(new ProtoWriter().packedInts(1, [3]).int(2, 1).string(8, 'w').packedFloats(4, [1, 2])), /2 values, dims \[3\] need 3/],
    ['invalid UTF-8 in a name', () => new ProtoWriter().message(7, new ProtoWriter().bytes(2, Uint8Array.from([0xff, 0xfe]))).finish(), /not valid UTF-8/],
    ['200,000 empty nodes', () => {
      const g = new Uint8Array(400_000);
      for (let i = 0; i < g.length; i += 2) g[i] = 0x0a; // field 1 (node), length 0
      return new ProtoWriter().bytes(7, g).finish();
    }, new RegExp(`allocation bound ${ALLOC_FACTOR}`)],
  ];
  for (const [what, make, message] of bad) {
    it(`refuses ${what} with a named Error`, () => {
      const bytes = make();
      expect(() => decodeOnnx(bytes)).toThrow(message);
      expect(() => decodeOnnx(bytes)).toThrow(/^fromOnnx: not a valid ONNX model/);
    });
  }
});
