// Out of memory in the scratch workspace (issue 11): with WebAssembly memory capped (V8's
// --wasm-max-mem-pages, in a child process) and filled, a GEMM that must grow its workspace throws
// the same named out-of-memory Error as a tensor allocation, before any kernel writes; weights,
// optimiser state and the live tensors are unchanged, and once memory is free again training goes on.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { variants } from '../helpers/wasm';

const script = fileURLToPath(new URL('../fixtures/oom-workspace.mjs', import.meta.url));

describe.each(variants)('workspace out of memory (%s build)', (variant) => {
  it('is a named Error, nothing changes, and training resumes when memory is back', () => {
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--wasm-max-mem-pages=384', script, variant], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.tensorError).toMatch(/^tensor: out of memory: cannot allocate 262144 bytes/);
    expect(r.forwardError).toMatch(/^Error: \w+: out of memory: cannot grow the scratch workspace to \d+ bytes \(WebAssembly memory is \d+ bytes and cannot grow/);
    expect(r.stepError).toMatch(/^Error: \w+: out of memory: cannot grow the scratch workspace/);
    expect(r.unchanged).toBe(true);
    expect(r.tensorsUnchanged).toBe(true);
    expect(r.recovered).toBe(true);
  }, 60_000);
});
