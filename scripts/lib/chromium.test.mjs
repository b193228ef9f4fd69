import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { CHROMIUM_PATH, ensureChromium, needsBrowser } from './chromium.mjs';

describe('chromium', () => {
  it('is needed by the ui e2e tests only', () => {
    assert.equal(needsBrowser(['test/e2e/ui.test.ts']), true);
    assert.equal(needsBrowser(['/repo/test/e2e/ui-live.test.ts']), true);
    assert.equal(needsBrowser(['test/e2e/batch/ui.batch.test.ts']), true);
    assert.equal(needsBrowser(['test/e2e/logs.test.ts', 'src/ui/app.test.ts']), false);
  });

  it('returns the installed browser, or nothing when it may not install it', async () => {
    const found = await ensureChromium({ logDir: '/nonexistent', install: false });
    assert.equal(found, fs.existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : undefined);
  });
});
