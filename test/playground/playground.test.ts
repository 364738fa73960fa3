// The playground (examples/playground/) in real headless Chromium, served by `npm run
// playground`'s own server (examples/playground/serve.mjs) with its COOP/COEP headers: spiral
// training to ≥ 0.95, the decision field and loss curve, a main thread that keeps running,
// Pause/Step/Reset, a safetensors download that loads back to the same predictions, MNIST to
// ≥ 0.9 validation accuracy in one epoch with hand-drawn digits recognised, and screenshots at
// 1280×800 and 390 px. Every test also fails on a console error or a request to another origin.
//
// Screenshots go to build/screenshots/ on every run (checked not blank there); they replace the
// README's docs/playground*.png only when those are missing or SIMDNET_UPDATE_SCREENSHOTS=1, so
// `npm test` leaves the working tree clean.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, removeDir, requireBuilt, unavailable } from '../runtimes/harness';

let browser: Browser | string;
let server: ChildProcess | undefined;
let origin = '';
let out: string | undefined;

/** `npm run playground`'s server on a free port; resolves with the URL it prints. */
function startServer(dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server = spawn(process.execPath, ['examples/playground/serve.mjs', '--port', '0', '--out', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const timer = setTimeout(() => reject(new Error(`the playground server printed no URL in 60 s:\n${text}`)), 60_000);
    const read = (d: Buffer) => {
      text += d;
      const m = /simdnet playground: (http:\/\/127\.0\.0\.1:\d+)\//.exec(text);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    server.stdout!.on('data', read);
    server.stderr!.on('data', read);
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the playground server exited with ${code}:\n${text}`)); });
  });
}

/**
 * Chromium from @sparticuz/chromium, as test/runtimes/harness.ts starts it, but without
 * --disable-web-security (under it a page is never cross-origin isolated) and with software
 * compositing (--disable-gpu): its SwiftShader GPU path took 20-60 s per screenshot on a loaded
 * 2-vCPU machine. No network: nothing in the background may try to reach one.
 */
async function launch(): Promise<Browser | string> {
  try {
    const { default: chromium } = await import('@sparticuz/chromium');
    const { chromium: playwright } = await import('playwright-core');
    return await playwright.launch({
      executablePath: await chromium.executablePath(),
      headless: true,
      args: [
        ...chromium.args.filter((a: string) => a !== '--single-process' && a !== '--disable-web-security'),
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync',
      ],
    });
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

beforeAll(async () => {
  requireBuilt();
  out = await mkdtemp(join(tmpdir(), 'simdnet-playground-'));
  origin = await startServer(out);
  browser = await launch();
}, 120_000);

afterAll(async () => {
  if (typeof browser === 'object') await browser.close();
  server?.kill();
  await removeDir(out);
});

function chromium(ctx: { skip(note?: string): never }): Browser {
  if (typeof browser === 'string') unavailable(ctx, 'Chromium', browser);
  return browser;
}

interface Opened { page: Page; problems: string[]; loadMs: number; simdnetMs: number }

/** Opens the playground at a viewport width; console errors, page errors and foreign requests are collected. */
async function open(b: Browser, width: number, height: number): Promise<Opened> {
  const page = await b.newPage({ viewport: { width, height }, acceptDownloads: true });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.push(`request beyond its origin: ${url}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`${origin}/`);
  await page.waitForSelector('html[data-ready=spiral]', { timeout: 30_000 });
  const [loadMs, simdnetMs] = await page.evaluate(() => ['playground-ready', 'simdnet-ready'].map((m) => performance.getEntriesByName(m)[0].startTime));
  return { page, problems, loadMs, simdnetMs };
}

const text = async (page: Page, id: string) => (await page.textContent(`[data-testid=${id}]`))?.trim() ?? '';
const number = async (page: Page, id: string) => Number((await text(page, id)).replaceAll(',', ''));

/** Waits until a data-testid's text, read as a number, satisfies `ok`. */
async function waitForNumber(page: Page, id: string, ok: (v: number) => boolean, timeout: number, what: string) {
  const deadline = Date.now() + timeout;
  let v = NaN;
  while (Date.now() < deadline) {
    v = await number(page, id);
    if (ok(v)) return v;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: ${id} still reads ${v} after ${timeout / 1000} s`);
}

/** Distinct colours of an image (every 4th pixel), through Chromium's own PNG decoder. */
async function distinctColours(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bmp, 0, 0);
    const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 16) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, png.toString('base64'));
}

/** Takes a screenshot into build/screenshots/ (and docs/ when asked), checked not blank. */
async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(ROOT, 'build', 'screenshots');
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  const png = await page.screenshot({ path: file, timeout: 60_000 });
  expect(await distinctColours(page, png), `${name} is not blank`).toBeGreaterThan(50);
  const docs = join(ROOT, 'docs', name);
  if (process.env.SIMDNET_UPDATE_SCREENSHOTS === '1' || !existsSync(docs)) {
    await mkdir(join(ROOT, 'docs'), { recursive: true });
    await copyFile(file, docs);
  }
}

/** Class regions of the boundary canvas: how many of its palette colours cover ≥ 3% of it. */
async function boundaryClasses(page: Page): Promise<number> {
  return page.$eval('[data-testid=boundary]', (el) => {
    const canvas = el as HTMLCanvasElement;
    const hue = (r: number, g: number, b: number) => {
      const max = Math.max(r, g, b), min = Math.min(r, g, b);
      if (max - min < 20) return null; // grey or white: no class
      const h = max === r ? (g - b) / (max - min) : max === g ? 2 + (b - r) / (max - min) : 4 + (r - g) / (max - min);
      return ((h * 60) + 360) % 360;
    };
    const palette = (canvas.dataset.palette ?? '').split(',').map((hex) => hue(...([1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number]))!);
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = palette.map(() => 0);
    let n = 0;
    for (let i = 0; i < d.length; i += 16) {
      n++;
      const h = hue(d[i], d[i + 1], d[i + 2]);
      if (h === null) continue;
      let best = 0;
      const dist = (a: number) => Math.min(Math.abs(a - h), 360 - Math.abs(a - h));
      palette.forEach((p, c) => { if (dist(p) < dist(palette[best])) best = c; });
      if (dist(palette[best]) < 12) counts[best]++;
    }
    return counts.filter((c) => c >= 0.03 * n).length;
  });
}

/** Pixels of the loss chart in the training curve's colour. */
async function curvePixels(page: Page): Promise<number> {
  return page.$eval('[data-testid=loss-chart]', (el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0x2e) < 30 && Math.abs(d[i + 1] - 0x5f) < 30 && Math.abs(d[i + 2] - 0xd8) < 30) n++;
    return n;
  });
}

/**
 * A 10 ms timer on the playground's main thread and on a second, idle page: a stall of the
 * playground only counts when the idle page did not stall at the same time (a loaded machine
 * stalls every thread; the playground must not stall its own).
 */
async function startTimer(page: Page) {
  await page.evaluate(() => {
    const w = window as any;
    w.stalls = [] as Array<[number, number]>;
    w.ticks = 0;
    let last = performance.timeOrigin + performance.now();
    w.stallTimer = setInterval(() => {
      const now = performance.timeOrigin + performance.now();
      if (now - last > 50) w.stalls.push([last, now]);
      last = now;
      w.ticks++;
    }, 10);
  });
}
async function stopTimer(page: Page): Promise<{ stalls: Array<[number, number]>; ticks: number }> {
  return page.evaluate(() => {
    const w = window as any;
    clearInterval(w.stallTimer);
    return { stalls: w.stalls, ticks: w.ticks };
  });
}

describe('playground (Chromium)', () => {
  it('spiral: trains to ≥ 0.95, draws the field and a falling loss, never stalls the page; Pause, Step, Reset, safetensors round trip, screenshots', async (ctx) => {
    const b = chromium(ctx);
    // What any page costs here: a new renderer and its first parse (a plain file from the same server).
    const control = await b.newPage();
    await control.goto(`${origin}/style.css`);
    const emptyMs = await control.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd);
    const { page, problems, loadMs, simdnetMs } = await open(b, 1280, 800);
    try {
      console.log(`playground: simdnet loaded ${simdnetMs.toFixed(0)} ms and data + model ready ${loadMs.toFixed(0)} ms after navigation (a plain file: ${emptyMs.toFixed(0)} ms); ${await text(page, 'runtime')}`);
      expect(loadMs - emptyMs, 'the page loads in under 1 s beyond what any page costs here').toBeLessThan(1000);
      expect(await page.evaluate(() => crossOriginIsolated), 'COOP/COEP make the page cross-origin isolated').toBe(true);
      expect(await text(page, 'runtime')).toMatch(/^build (relaxed|simd|scalar) · \d+ threads? · cross-origin isolated/);
      expect(await page.inputValue('[data-testid=dataset]')).toBe('spiral');

      const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, button')]
        .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label') && !el.textContent!.trim())
        .map((el) => el.outerHTML.slice(0, 80)));
      expect(unlabelled, 'every control has a label').toEqual([]);

      await startTimer(page);
      await startTimer(control);
      const t0 = Date.now();
      await page.focus('[data-testid=start]');
      await page.keyboard.press('Enter'); // the controls work from the keyboard
      const acc = await waitForNumber(page, 'accuracy', (v) => v >= 0.95, 30_000, 'spiral training');
      console.log(`spiral: training accuracy ${acc} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await page.waitForTimeout(1500); // keep training a little: the field redraws, the timer keeps counting
      const own = await stopTimer(page);
      const idle = await stopTimer(control);
      // A stall over 100 ms counts unless the idle page also stalled (> 50 ms) within 50 ms of it.
      const unexplained = own.stalls.filter(([a, z]) => z - a > 100 && !idle.stalls.some(([c, d]) => c < z + 50 && d > a - 50));
      console.log(`main-thread timer: ${own.ticks} ticks, stalls over 50 ms ${JSON.stringify(own.stalls.map(([a, z]) => Math.round(z - a)))}, idle page's ${JSON.stringify(idle.stalls.map(([a, z]) => Math.round(z - a)))}`);
      expect(own.ticks, 'the main-thread timer kept firing during training').toBeGreaterThan(20);
      expect(unexplained.map(([a, z]) => `${(z - a).toFixed(0)} ms`), 'main-thread stalls over 100 ms the idle page did not have').toEqual([]);

      expect(await boundaryClasses(page), 'boundary canvas shows ≥ 3 class colours').toBeGreaterThanOrEqual(3);
      const chart = await page.$eval('[data-testid=loss-chart]', (c) => ({ ...(c as HTMLElement).dataset }));
      expect(Number(chart.points)).toBeGreaterThan(3);
      expect(Number(chart.last), `loss curve falls (${chart.first} → ${chart.last})`).toBeLessThan(Number(chart.first));
      expect(await curvePixels(page), 'the loss curve is drawn').toBeGreaterThan(50);
      expect(await number(page, 'val-accuracy')).toBeGreaterThan(0.8);
      expect(await text(page, 'runtime')).toMatch(/[1-9][\d,]* steps\/s · [1-9][\d,]* samples\/s/);

      // Pause stops the steps; Step does exactly one.
      await page.click('[data-testid=pause]');
      await page.waitForSelector('[data-testid=start]:not([disabled])');
      const paused = await number(page, 'steps');
      await page.waitForTimeout(700);
      expect(await number(page, 'steps'), 'no steps while paused').toBe(paused);
      await page.click('[data-testid=step]');
      await waitForNumber(page, 'steps', (v) => v === paused + 1, 10_000, 'Step');

      await screenshot(page, 'playground.png');
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no sideways scrolling at 390 px').toBeLessThanOrEqual(390);
      await screenshot(page, 'playground-390.png');
      await page.setViewportSize({ width: 1280, height: 800 });

      // Download safetensors (and ONNX), Reset, load the file back: the same predictions.
      await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=boundary]')!.dataset.hash);
      const trained = await page.$eval('[data-testid=boundary]', (c) => (c as HTMLElement).dataset.hash);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download safetensors')]);
      expect(download.suggestedFilename()).toBe('simdnet-spiral.safetensors');
      const file = await download.path();
      const [onnx] = await Promise.all([page.waitForEvent('download'), page.click('text=Download ONNX')]);
      expect(onnx.suggestedFilename()).toBe('simdnet-spiral.onnx');
      const onnxBytes = await readFile(await onnx.path());
      expect(onnxBytes.length).toBeGreaterThan(1000);
      expect(onnxBytes[0], 'an ONNX ModelProto starts with field 1, ir_version').toBe(0x08);

      await page.click('[data-testid=reset]');
      await waitForNumber(page, 'steps', (v) => v === 0, 10_000, 'Reset');
      await page.waitForFunction((h) => document.querySelector<HTMLElement>('[data-testid=boundary]')!.dataset.hash !== h, trained);
      // The chart redraws (and sets its data-points) on the next animation frame.
      await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid=loss-chart]')!.dataset.points === '0', undefined, { timeout: 5_000 })
        .catch(async () => { throw new Error(`Reset leaves ${await page.$eval('[data-testid=loss-chart]', (c) => (c as HTMLElement).dataset.points)} points in the loss chart`); });
      expect(await number(page, 'accuracy'), 'fresh weights are back near chance').toBeLessThan(0.8);

      await page.setInputFiles('[data-testid=load-file]', file);
      await page.waitForFunction((h) => document.querySelector<HTMLElement>('[data-testid=boundary]')!.dataset.hash === h, trained, { timeout: 10_000 });
      expect(await number(page, 'accuracy'), 'the loaded weights are the trained ones').toBeGreaterThanOrEqual(0.95);
      expect(problems).toEqual([]);
    } finally {
      await control.close();
      await page.close();
    }
  }, 150_000);

  it('MNIST: one epoch of the default CNN reaches ≥ 0.9 validation accuracy; a drawn 1 and 0 are recognised', async (ctx) => {
    const { page, problems } = await open(chromium(ctx), 1280, 800);
    try {
      await page.selectOption('[data-testid=dataset]', 'mnist');
      await page.fill('#epochs', '1');
      await page.dispatchEvent('#epochs', 'change');
      await page.waitForSelector('html[data-ready=mnist]', { timeout: 60_000 });
      await page.waitForSelector('[data-testid=start]:not([disabled])');
      expect(await page.isVisible('[data-testid=boundary]')).toBe(false);
      const t0 = Date.now();
      await page.click('[data-testid=start]');
      await waitForNumber(page, 'epoch', (v) => v >= 1, 150_000, 'MNIST epoch');
      await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 30_000 }); // stopped after the epoch
      const val = await number(page, 'val-accuracy');
      console.log(`MNIST: validation accuracy ${val} after 1 epoch in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${await text(page, 'runtime')}`);
      expect(val).toBeGreaterThanOrEqual(0.9);

      const box = (await page.locator('[data-testid=digit-canvas]').boundingBox())!;
      const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
      const stroke = async (pts: Array<readonly [number, number]>) => {
        await page.mouse.move(...at(...pts[0]));
        await page.mouse.down();
        for (const p of pts.slice(1)) await page.mouse.move(...at(...p), { steps: 2 });
        await page.mouse.up();
      };
      await stroke(Array.from({ length: 9 }, (_, i) => [0.52 - 0.03 * (i / 8), 0.18 + (0.64 * i) / 8] as const));
      await page.waitForFunction(() => document.querySelector('[data-testid=prediction]')!.textContent === '1', undefined, { timeout: 10_000 })
        .catch(async () => { throw new Error(`a drawn 1 reads as ${await text(page, 'prediction')}`); });
      await page.click('[data-testid=digit-clear]');
      expect(await text(page, 'prediction')).toBe('–');
      await stroke(Array.from({ length: 25 }, (_, i) => [0.5 + 0.2 * Math.sin((2 * Math.PI * i) / 24), 0.5 - 0.3 * Math.cos((2 * Math.PI * i) / 24)] as const));
      await page.waitForFunction(() => document.querySelector('[data-testid=prediction]')!.textContent === '0', undefined, { timeout: 10_000 })
        .catch(async () => { throw new Error(`a drawn 0 reads as ${await text(page, 'prediction')}`); });
      const filters = await page.$eval('#filters', (c) => (c as HTMLCanvasElement).width);
      expect(filters, 'the first conv layer filters are drawn').toBeGreaterThan(100);
      await screenshot(page, 'playground-mnist.png');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 200_000);
});
