// The bench's Chromium page is bundled by esbuild for the browser from the same modules the Node
// runs use (bench/lib.mjs, the cases, the peers). A Node-only import in one of them breaks the page
// build, and the bench then only prints that its Chromium configurations could not run (the
// threads group lost its Chromium columns that way once), so the build is checked here.
import { it, expect } from 'vitest';
// @ts-expect-error: a plain .mjs module of the bench, without types
import { bundle } from '../bench/browser/run.mjs';

it('the bench page builds for the browser', async () => {
  await expect(bundle()).resolves.toBeUndefined();
});
