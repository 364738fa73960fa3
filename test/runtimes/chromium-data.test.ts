// data.fromPixels in Chromium with real canvases (issue 15 item 5): a page (HTMLCanvasElement,
// OffscreenCanvas, ImageData, ImageBitmap, <img>) and a module Worker (OffscreenCanvas, ImageData,
// ImageBitmap) must give NCHW tensors of the painted colours.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { ROOT, serve, launchChromium, unavailable, requireBuilt, type StaticServer } from './harness';
// @ts-expect-error: a plain .mjs fixture without types
import { COLOURS, WIDTH, HEIGHT } from './fixtures/pixels.mjs';

let browser: Browser | string;
let server: StaticServer;

beforeAll(async () => {
  requireBuilt();
  server = await serve({ '/': ROOT });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  if (typeof browser === 'object') await browser.close();
  await server?.close();
});

/** The painted image as NCHW values: channel c of pixel i at c·W·H + i. */
function expected(channels: number, scale = 1): number[] {
  const n = WIDTH * HEIGHT;
  const out: number[] = new Array(channels * n);
  (COLOURS as number[][]).forEach((rgb, i) => { for (let c = 0; c < channels; c++) out[c * n + i] = Math.fround((c < 3 ? rgb[c] : 255) * scale); });
  return out;
}

interface Read { shape: number[]; values: number[] }

function check(r: Record<string, Read | string | number>, where: string, dom: boolean): void {
  const rgb = [1, 3, HEIGHT, WIDTH];
  expect(r.offscreen, `${where}: OffscreenCanvas`).toEqual({ shape: rgb, values: expected(3, 1 / 255) });
  expect(r.imageData, `${where}: ImageData`).toEqual({ shape: rgb, values: expected(3) });
  expect(r.bitmap, `${where}: ImageBitmap, 4 channels`).toEqual({ shape: [1, 4, HEIGHT, WIDTH], values: expected(4) });
  const grey = r.grey as Read;
  expect(grey.shape).toEqual([1, 1, HEIGHT, WIDTH]);
  (COLOURS as number[][]).forEach(([red, g, b], i) => expect(grey.values[i], `${where}: grey pixel ${i}`).toBeCloseTo(0.2989 * red + 0.587 * g + 0.114 * b, 3));
  if (dom) {
    expect(r.canvas, `${where}: HTMLCanvasElement`).toEqual({ shape: rgb, values: expected(3) });
    expect(r.image, `${where}: <img>`).toEqual({ shape: rgb, values: expected(3) });
  }
  expect(r.emptyError).toMatch(/^Error: fromPixels: the image has no pixels \(width 0, height 0\)/);
  expect(r.tensorsLeft, `${where}: every tensor disposed`).toBe(0);
}

describe('Chromium: data.fromPixels', () => {
  it('reads canvases, ImageData, ImageBitmap and <img> in a page and a worker as NCHW', async (ctx) => {
    if (typeof browser === 'string') unavailable(ctx, 'Chromium', browser);
    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    try {
      await page.goto(`${server.origin}/test/runtimes/fixtures/pixels.html`);
      await page.waitForFunction(() => (window as any).results !== undefined, undefined, { timeout: 30_000 });
      const results = await page.evaluate(() => (window as any).results);
      expect(errors).toEqual([]);
      check(results.page, 'page', true);
      check(results.worker, 'worker', false);
    } finally {
      await page.close();
    }
  });
});
