// A worker that fails after init() returned (Node hands the pool out before its workers are up):
// the runtime ends the pool, runtimeInfo() gives one thread and the reason, and the ops keep
// working on the calling thread with the same bits. The failure is injected by pointing the
// runtime's worker script (wasm-url.ts workerUrl) at one that boots, then refuses its start
// message, as a worker whose instantiation fails would.
import { describe, it, expect, vi, afterAll } from 'vitest';
import { init, runtimeInfo, tensor, ops, reset } from '../../bindings/index';
import { threadPool } from '../../bindings/runtime';

vi.mock('../../bindings/wasm-url.js', async (original) => ({
  ...(await original<typeof import('../../bindings/wasm-url.js')>()),
  workerUrl: () => new URL(`data:text/javascript,${encodeURIComponent(
    "const { parentPort } = require('node:worker_threads');\n"
    + "parentPort.once('message', () => parentPort.postMessage({ error: 'injected: this worker refuses to start' }));",
  )}`),
}));

afterAll(() => reset());

describe('a worker that fails after init() returned', () => {
  it('ends the pool: one thread, the reason in runtimeInfo(), ops unchanged', async () => {
    await init({ variant: 'simd', threads: 1 });
    const a = tensor(Array.from({ length: 96 * 80 }, (_, i) => Math.sin(i)), [96, 80]);
    const b = tensor(Array.from({ length: 80 * 64 }, (_, i) => Math.cos(i)), [80, 64]);
    const expected = ops.matmul(a, b).data();

    const info = await init({ variant: 'simd', threads: 2 });
    expect(info.threads).toBe(2); // handed out before the worker is up
    const pool = threadPool();
    expect(pool).not.toBeNull();
    await pool!.ready; // settles once the worker has failed (never rejects)
    expect(threadPool()).toBeNull();
    expect(runtimeInfo()).toMatchObject({
      threads: 1,
      threadsUnavailable: expect.stringMatching(/^the worker pool did not start: a worker could not start: injected: this worker refuses to start$/),
    });
    expect('threadsStarting' in runtimeInfo()).toBe(false);
    const x = tensor(Array.from({ length: 96 * 80 }, (_, i) => Math.sin(i)), [96, 80]);
    const y = tensor(Array.from({ length: 80 * 64 }, (_, i) => Math.cos(i)), [80, 64]);
    expect(ops.matmul(x, y).data()).toEqual(expected);
  });
});
