// The allocator exported to the binding: AssemblyScript's TLSF (`--runtime minimal`).
// Blocks are 16-byte aligned, so v128 loads at element 0 of any tensor are aligned.

export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}
