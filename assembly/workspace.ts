// One reusable scratch buffer for packing (GEMM panels, im2col). It only grows, so a
// training loop reaches its high-water mark in the first step and never allocates again.
// Kernels must not hold the pointer across calls that may grow it.

let wsPtr: usize = 0;
let wsBytes: usize = 0;

export function workspace(bytes: usize): usize {
  if (bytes > wsBytes) {
    if (wsPtr != 0) heap.free(wsPtr);
    wsBytes = (bytes + 0xffff) & ~(<usize>0xffff);
    wsPtr = heap.alloc(wsBytes);
  }
  return wsPtr;
}

/** Bytes the workspace holds now (for memory reports). */
export function workspaceBytes(): usize {
  return wsBytes;
}
