// What every browser script here shares: its environment (set by
// browser_tests), checks that print what passed, screenshots into
// OMNI_ARTIFACTS_DIR, and what a failed step leaves behind.
import fs from 'node:fs';
import path from 'node:path';

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through browser_tests)`);
  return value;
};

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

// shot(page, name) saves OMNI_ARTIFACTS_DIR/<prefix>-<name>.png.
export function screenshots(prefix) {
  const dir = env('OMNI_ARTIFACTS_DIR');
  fs.mkdirSync(dir, { recursive: true });
  return async (page, name) => {
    const file = path.join(dir, `${prefix}-${name}.png`);
    await page.screenshot({ path: file });
    console.log(`screenshot ${file}`);
  };
}

// What each open page showed when a check failed: its last toast and a
// screenshot.
export async function recordFailure(browser, shot) {
  for (const [index, context] of browser.contexts().entries()) {
    for (const open of context.pages()) {
      const toastText = await open.locator('#toast').textContent().catch(() => '');
      if (toastText) console.log(`context ${index} toast: ${toastText}`);
      await shot(open, `failure-${index}`).catch(() => {});
    }
  }
}
