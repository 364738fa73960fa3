// The exports of the compute core, nothing else. Every export takes pointers into linear
// memory, sizes and scalars; no managed objects cross the boundary.
export { alloc, free } from './memory';
export { workspaceBytes } from './workspace';
export { gemm } from './gemm';
