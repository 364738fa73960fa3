// Node-only start-up for the bench scripts (kept out of lib.mjs, which the Chromium pages bundle:
// esbuild cannot resolve node: modules for the browser, and the threads group's pages failed to
// build while withMallocSettings lived there).

// glibc hands the top of its heap back to the OS (brk) once 128 KiB lie free there, and maps
// 256 KiB+ blocks afresh, so each fresh result array (every timed unit copies its output into one,
// as dataSync() does: 256 KiB for 64×1000) is paid for in page faults: ~15 µs a copy on a quiet
// machine, 1–2.5 ms on the loaded 2-vCPU VM (measured 2026-11-30), the same for every library,
// which squashes every small op's ratio towards 1. In a process with worker threads it is worse:
// unmapping costs a TLB shootdown on every CPU the process runs on, and an 800 KB data() took
// 2.4–2.7 ms instead of 55 µs at 2 threads (threads-profile.mjs before it re-spawned too).
// glibc keeps freed memory with these two settings. Chromium here does not: a copy into a fresh
// Float32Array costs ~11 µs per 4 KiB page, steady (a 784 KiB result 2.25 ms, 33 µs into an array
// reused; 64 KiB 183 µs against 2.5; 2026-12-01, a page timing each 820 times). That is this VM's
// page faults (Firecracker), paid by every library's read-out alike (dataSync(), session.run()), so
// the Chromium rows with large results are mostly that cost.
export const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(256 << 20) };

/**
 * On Linux, unless already done: runs this script again with MALLOC_ENV (glibc reads it at
 * start-up) and `extraFlags` for Node, then exits with the child's status. In that child (and
 * elsewhere) grows the JS heap to its working size and returns.
 * `script` (the caller's import.meta.url) is put back after the runner when it is missing from
 * process.argv, as under vite-node, which takes it out.
 */
export async function withMallocSettings(extraFlags = [], script = undefined) {
  if (process.platform !== 'linux' || process.env.MALLOC_TRIM_THRESHOLD_) {
    // Even so, the process's first ~100 MB of result arrays land on fresh heap pages (V8 frees
    // dead arrays only at its next GC, so the heap first grows to its working size): 62 page
    // faults per 256 KiB copy, 1–2 ms a call on this VM, for a few hundred calls. Whatever ran
    // first paid it (relu 64×1000, the bench's first row, read 1744 µs for a 22 µs op; the first
    // rounds of threads-profile.mjs 4-8× the rest). Churning through that many short-lived arrays
    // first leaves the heap at its working size (measured 62 → 1.4 faults a copy).
    for (let i = 0; i < 1500; i++) new Float32Array(1 << 16).fill(1);
    return;
  }
  const { spawnSync } = await import('node:child_process');
  const args = process.argv.slice(1);
  if (script !== undefined) {
    const file = (await import('node:url')).fileURLToPath(script);
    if (!args.includes(file)) args.splice(1, 0, file);
  }
  const child = spawnSync(process.execPath, [...process.execArgv, ...extraFlags, ...args], {
    stdio: 'inherit', env: { ...process.env, ...MALLOC_ENV },
  });
  process.exit(child.status ?? 1);
}
