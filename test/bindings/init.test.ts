// init(): every way of handing it a build, and every way that fails with an Error naming what it
// tried. A failed init() leaves the runtime that was loaded before it working.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, runtimeInfo, supportedVariants, tensor, memory, type Variant } from '../../bindings/index';

const file = (v: Variant) => new URL(`../../dist/simdnet-${v}.wasm`, import.meta.url);
const bytes = (v: Variant) => new Uint8Array(readFileSync(file(v)));

describe('init()', () => {
  it('before it, runtimeInfo() and memory() say to call init() first', () => {
    expect(() => runtimeInfo()).toThrow(/^simdnet: runtimeInfo\(\) called before init\(\); call `await init\(\)` first$/);
    expect(() => memory()).toThrow(/^simdnet: memory\(\) called before init\(\)/);
  });

  it('with no options loads the best build the engine validates, from the file beside the library', async () => {
    const info = await init();
    expect(info.variant).toBe(supportedVariants()[0]);
    expect(info.supported).toEqual(supportedVariants());
    // Its threads build where there is more than one core (test/bindings/threads.test.ts).
    expect(info.source).toBe(new URL(`../../dist/simdnet-${info.variant}${info.threads > 1 ? '-threads' : ''}.wasm`, import.meta.url).href);
    expect(info).toMatchObject({ simd: info.variant !== 'scalar', relaxedSimd: info.variant === 'relaxed' });
  });

  it('reads the variant from a module, bytes or a URL, and checks it against options.variant', async () => {
    const module = new WebAssembly.Module(bytes('scalar'));
    expect(await init({ module })).toMatchObject({ variant: 'scalar', simd: false, source: 'module' });
    expect(await init({ bytes: bytes('simd') })).toMatchObject({ variant: 'simd', source: 'bytes' });
    expect(await init({ url: file('scalar') })).toMatchObject({ variant: 'scalar', source: file('scalar').href });
    expect(await init({ url: file('simd').href, variant: 'simd' })).toMatchObject({ variant: 'simd' });
    await expect(init({ module, variant: 'simd' })).rejects.toThrow("init: asked for the 'simd' build but module is the 'scalar' build");
  });

  it('a wrong URL names the URL it tried', async () => {
    const missing = new URL('../../dist/simdnet-nope.wasm', import.meta.url);
    await expect(init({ url: missing })).rejects.toThrow(new RegExp(`^init: could not read a build from ${missing.href}: ENOENT`));
    await expect(init({ url: 'http://127.0.0.1:9/simdnet-simd.wasm' })).rejects.toThrow(/^init: could not read a build from http:\/\/127\.0\.0\.1:9\/simdnet-simd\.wasm: /);
  });

  it('corrupt bytes, a truncated build and a foreign module are refused by name', async () => {
    await expect(init({ bytes: new Uint8Array([1, 2, 3, 4]) })).rejects.toThrow(/^init: could not compile the WebAssembly from bytes: /);
    // cut inside a section (its last byte gone): a fixed cut such as 1000 bytes can fall on a
    // section boundary, which leaves a valid module (the simd build's first two sections once ended there)
    const whole = bytes('simd'), truncated = whole.slice(0, whole.length - 1);
    await expect(init({ bytes: truncated })).rejects.toThrow(/^init: could not compile the WebAssembly from bytes: /);
    const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]); // a valid module with nothing in it
    await expect(init({ bytes: empty })).rejects.toThrow("init: bytes is not a simdnet build (it has no 'simdnet' custom section naming its variant)");
  });

  it('bad options are Errors, not TypeErrors from somewhere inside', async () => {
    await expect(init({ variant: 'avx512' as Variant })).rejects.toThrow("init: unknown variant 'avx512'; expected one of relaxed, simd, scalar");
    await expect(init({ module: bytes('simd') as unknown as WebAssembly.Module })).rejects.toThrow('init: options.module must be a WebAssembly.Module, got Uint8Array');
    await expect(init({ bytes: 'simdnet.wasm' as unknown as BufferSource })).rejects.toThrow('init: options.bytes must be an ArrayBuffer or a typed array, got string');
    await expect(init(null as never)).rejects.toThrow('init: options must be an object { module, bytes, url, variant, threads }, got null');
  });

  it('a failed init() leaves the runtime loaded before it, and its tensors, working', async () => {
    await init({ variant: 'scalar' });
    const t = tensor([1, 2, 3]);
    await expect(init({ bytes: new Uint8Array([0]) })).rejects.toThrow(/^init: /);
    expect(runtimeInfo().variant).toBe('scalar');
    expect(Array.from(t.data())).toEqual([1, 2, 3]);
    expect(memory().tensors).toBe(1);
  });
});
