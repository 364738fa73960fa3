// io: save/load (safetensors), model descriptions, checkpoints, ONNX export and import. Sits beside train:
// it uses nn, optim and tensor; nothing below imports it.

export { save, load, loadModel, readSafetensors, writeSafetensors } from './weights.js';
export type { SaveOptions, LoadOptions, Bytes, SafetensorsTensor } from './weights.js';
export { checkpoint, restore } from './checkpoint.js';
export type { CheckpointOptions, RestoreOptions, Restored } from './checkpoint.js';
export { saveFile, loadFile, loadModelFile, writeFileAtomic } from './node.js';
export { toOnnx } from './onnx.js';
export type { OnnxOptions } from './onnx.js';
export { fromOnnx } from './onnx-import.js';
export type { FromOnnxOptions } from './onnx-import.js';
