// Per-thread scratch: one reusable buffer for packing (GEMM panels, im2col), with a small fixed
// header in front of it for the GEMM edge tile and the conv packers' lane offsets.
//
// wsPtr/wsBytes are wasm globals, and wasm globals belong to one instance: in the threads builds
// every worker instantiates the module on the same shared memory, so each thread has its own
// buffer through the same code. On the calling thread (the instance that owns the allocator) the
// buffer only grows, so a training loop reaches its high-water mark in the first step and never
// allocates again. A worker must never allocate (AssemblyScript's TLSF is not thread-safe): the
// calling thread allocates the worker's buffer and hands it over with assignWorkspace() before a
// job, and a worker asking for more than it was given traps instead of allocating.
// Kernels take the workspace once, at their start, and must not hold it across a call that may
// grow it.

/** Bytes in front of every workspace: the GEMM edge tile (MR×8 floats) and 8 lane offsets. */
export const WORKSPACE_HEADER: usize = 256;

let wsPtr: usize = 0; // the header; the caller's scratch starts WORKSPACE_HEADER bytes later
let wsBytes: usize = 0; // header included
let assigned = false; // a worker's buffer, set by the calling thread: never grown here

/** This thread's scratch, at least `bytes` long (16-byte aligned). */
export function workspace(bytes: usize): usize {
  const need = bytes + WORKSPACE_HEADER;
  if (need > wsBytes) {
    if (assigned) {
      throw new Error('workspace: a worker thread needs more scratch than the calling thread gave it');
    }
    // Empty the slot before allocating, so a failed allocation (out of memory traps) leaves no
    // freed block behind as the workspace.
    if (wsPtr != 0) heap.free(wsPtr);
    wsPtr = 0;
    wsBytes = 0;
    const size = (need + 0xffff) & ~(<usize>0xffff);
    wsPtr = heap.alloc(size);
    wsBytes = size;
  }
  return wsPtr + WORKSPACE_HEADER;
}

/** MR×8 floats of this thread's scratch for the GEMM edge tile (outside what workspace() returns). */
export function edgeTile(): usize {
  if (wsPtr == 0) workspace(0);
  return wsPtr;
}

/** 8 i32 lane offsets of this thread's scratch for the conv packers (outside what workspace() returns). */
export function laneOffsets(): usize {
  if (wsPtr == 0) workspace(0);
  return wsPtr + 128;
}

/**
 * Worker threads only: makes [ptr, ptr + bytes) this instance's workspace (header included). The
 * calling thread allocated it; from now on workspace() on this instance never allocates.
 */
export function assignWorkspace(ptr: usize, bytes: usize): void {
  assigned = true;
  wsPtr = ptr;
  wsBytes = bytes;
}

/** Bytes the workspace holds now (for memory reports). */
export function workspaceBytes(): usize {
  return wsBytes;
}
