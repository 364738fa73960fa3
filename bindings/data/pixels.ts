// fromPixels: an image to a [1, channels, height, width] tensor (NCHW, as conv layers take it).
// In browsers and workers it takes ImageData, a canvas (HTMLCanvasElement or OffscreenCanvas),
// an ImageBitmap, or anything else drawImage() takes (an <img>, a <video> frame); everywhere,
// including Node, it takes raw RGBA bytes as { data, width, height } (ImageData's shape).

import { Tensor, tensor, describe } from '../tensor.js';
import { options } from '../options.js';

export interface FromPixelsOptions {
  /** 3 (RGB, default), 1 (grey: 0.2989·R + 0.587·G + 0.114·B, as torchvision) or 4 (RGBA). */
  channels?: 1 | 3 | 4;
  /** Scale bytes 0…255 to 0…1 (default true, as torchvision's ToTensor); false keeps 0…255. */
  normalize?: boolean;
}

/** RGBA bytes of a known size. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export type PixelSource = RawPixels | ImageData | HTMLCanvasElement | OffscreenCanvas | ImageBitmap | CanvasImageSource;

const op = 'fromPixels';

function isRaw(v: object): v is RawPixels {
  return 'data' in v && 'width' in v && 'height' in v && !('getContext' in v);
}

/** The RGBA bytes of a drawable source, drawn onto a 2-D canvas of its size. */
function rgbaOf(source: object): RawPixels {
  const w = (source as { width?: unknown }).width, h = (source as { height?: unknown }).height;
  const size = (source as { videoWidth?: number }).videoWidth !== undefined
    ? [(source as HTMLVideoElement).videoWidth, (source as HTMLVideoElement).videoHeight]
    : (source as { naturalWidth?: number }).naturalWidth !== undefined
      ? [(source as HTMLImageElement).naturalWidth, (source as HTMLImageElement).naturalHeight] : [w, h];
  const [width, height] = size as [number, number];
  if (typeof width !== 'number' || typeof height !== 'number' || !(width > 0) || !(height > 0)) {
    throw new Error(`${op}: the image has no pixels (width ${String(width)}, height ${String(height)}); is it loaded?`);
  }
  // A 2-D canvas reads its own pixels; anything else (a WebGL canvas, an ImageBitmap, an <img>) is drawn first.
  const own = typeof (source as HTMLCanvasElement).getContext === 'function' ? (source as HTMLCanvasElement).getContext('2d') : null;
  if (own && typeof own.getImageData === 'function') return own.getImageData(0, 0, width, height);
  let canvas: OffscreenCanvas | HTMLCanvasElement;
  if (typeof OffscreenCanvas === 'function') canvas = new OffscreenCanvas(width, height);
  else if (typeof document !== 'undefined') { canvas = document.createElement('canvas'); canvas.width = width; canvas.height = height; }
  else throw new Error(`${op}: no canvas in this runtime to draw a ${describe(source)} on; pass raw RGBA bytes as { data, width, height }`);
  const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (!ctx) throw new Error(`${op}: could not get a 2-D canvas context to read the pixels`);
  try {
    ctx.drawImage(source as CanvasImageSource, 0, 0);
    return ctx.getImageData(0, 0, width, height);
  } catch (err) {
    throw new Error(`${op}: could not read the pixels of the ${describe(source)}: ${(err as Error).message}`);
  }
}

/**
 * The image as a [1, channels, height, width] float32 tensor, values in 0…1 (or 0…255 with
 * normalize: false). Colour is as the canvas gives it: sRGB, not premultiplied by alpha.
 */
export function fromPixels(source: PixelSource, opts: FromPixelsOptions = {}): Tensor {
  const { channels = 3, normalize = true } = options<FromPixelsOptions>(op, opts, ['channels', 'normalize']);
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`${op}: channels must be 1, 3 or 4, got ${String(channels)}`);
  if (typeof normalize !== 'boolean') throw new Error(`${op}: normalize must be true or false, got ${String(normalize)}`);
  if (source === null || typeof source !== 'object') {
    throw new Error(`${op}: expected ImageData, a canvas, an ImageBitmap or { data: RGBA bytes, width, height }, got ${describe(source)}`);
  }
  const px = isRaw(source) ? source : rgbaOf(source);
  const { data, width, height } = px;
  if (!(data instanceof Uint8Array) && !(data instanceof Uint8ClampedArray)) throw new Error(`${op}: data must be RGBA bytes (Uint8Array or Uint8ClampedArray), got ${describe(data)}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`${op}: width and height must be positive integers, got ${String(width)} × ${String(height)}`);
  const n = width * height;
  if (data.length !== n * 4) throw new Error(`${op}: ${width} × ${height} RGBA pixels are ${n * 4} bytes, data has ${data.length}`);
  const scale = normalize ? 1 / 255 : 1;
  const out = new Float32Array(channels * n);
  if (channels === 1) {
    for (let i = 0; i < n; i++) out[i] = (0.2989 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) * scale;
  } else {
    for (let c = 0; c < channels; c++) for (let i = 0; i < n; i++) out[c * n + i] = data[4 * i + c] * scale;
  }
  return tensor(out, [1, channels, height, width]);
}
