// README's "Use it in your project": the Node script, the page and the Worker, run exactly as
// written in a project whose node_modules/simdnet is this package (makeProject; the npm pack
// tarball install itself is test/runtimes/pack.test.ts). Each must print `accuracy 1`.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ROOT, makeProject, removeDir, run, serve, launchChromium, unavailable, requireBuilt, type StaticServer } from './harness';

let dir: string;
let files: Record<string, string>;
let browser: Browser | string;
let server: StaticServer;

beforeAll(async () => {
  requireBuilt();
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Use it in your project\n');
  expect(start, "README has a 'Use it in your project' section").toBeGreaterThanOrEqual(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  // Each program's first line names its file: `// main.mjs` or `<!-- index.html -->`.
  files = {};
  for (const [, code] of section.matchAll(/```(?:js|html)\n([\s\S]*?)```/g)) {
    const name = /^(?:\/\/ |<!-- )([\w.-]+)/.exec(code)?.[1];
    if (name) files[name] = code;
  }
  dir = await makeProject('readme', []);
  for (const [name, code] of Object.entries(files)) await writeFile(join(dir, name), code);
  server = await serve({ '/': dir });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  if (typeof browser === 'object') await browser.close();
  await server?.close();
  await removeDir(dir);
});

async function pageText(ctx: { skip(note?: string): never }, url: string): Promise<string> {
  if (typeof browser === 'string') unavailable(ctx, 'Chromium', browser);
  const page = await (browser as Browser).newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  try {
    await page.goto(url);
    await page.waitForFunction(() => /^accuracy/.test(document.querySelector('#out')?.textContent ?? ''), undefined, { timeout: 60_000 })
      .catch(() => { throw new Error(`${url}: no result: ${errors.join('; ') || 'no error reported'}`); });
    expect(errors).toEqual([]);
    return await page.evaluate(() => document.querySelector('#out')!.textContent!);
  } finally {
    await page.close();
  }
}

describe("README: Use it in your project", () => {
  it('has the four files', () => {
    expect(Object.keys(files).sort()).toEqual(['index.html', 'main.mjs', 'worker.html', 'worker.js']);
  });

  it('the Node script prints accuracy 1', async () => {
    const r = await run(process.execPath, ['main.mjs'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('accuracy 1\n');
  });

  it('the page prints accuracy 1', async (ctx) => {
    expect(await pageText(ctx, `${server.origin}/index.html`)).toBe('accuracy 1');
  });

  it('the Worker prints accuracy 1', async (ctx) => {
    expect(await pageText(ctx, `${server.origin}/worker.html`)).toBe('accuracy 1');
  });
});
