// The offline booking dialogue in real headless Chromium, with no model key:
// a visitor on a page that embeds the widget books, moves and cancels an
// appointment by chatting, and the dialogue resumes after a reload.
// Run by browser_tests (tests/browser/browser_test.cpp), which starts the
// database and omnid with no model configured, and passes:
//   OMNI_URL            omnid's base URL (http://127.0.0.1:PORT)
//   OMNI_CLI, OMNI_CONFIG   the omni binary and its config (same database)
//   OMNI_SOURCE_DIR, OMNI_ARTIFACTS_DIR, BOOK_DATE (an open day, YYYY-MM-DD)
// Exits non-zero on the first failed check.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { check, env, screenshots } from './support.mjs';

const OMNI_URL = env('OMNI_URL');
const OMNI_CLI = env('OMNI_CLI');
const BOOK_DATE = env('BOOK_DATE');
const SLUG = 'demo-salon';
const STEP_TIMEOUT_MS = 20000;

async function omni(...args) {
  const { stdout } = await promisify(execFile)(OMNI_CLI, args, { env: process.env, encoding: 'utf8', timeout: 60000 });
  return stdout;
}

// How a customer writes the day ("Dec 10"), and how omni says it back
// ("Thursday, December 10").
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const [year, month, day] = BOOK_DATE.split('-').map(Number);
const typedDay = `${MONTHS[month - 1].slice(0, 3)} ${day}`;
const spokenDay = `${WEEKDAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()]}, ${MONTHS[month - 1]} ${day}`;

function startSite() {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bella Hair Studio</title></head>
<body><h1>Bella Hair Studio</h1><p>Book online or chat with us any time.</p>
<script src="${OMNI_URL}/widget.js" data-business="${SLUG}" async></script></body></html>`;
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/' ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(req.url === '/' ? html : 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function applyBusiness(origin, dir) {
  const source = fs.readFileSync(path.join(env('OMNI_SOURCE_DIR'), 'config', 'demo-salon.yaml'), 'utf8');
  const marker = '  allowed_origins:\n';
  if (!source.includes(marker)) throw new Error('config/demo-salon.yaml has no widget.allowed_origins');
  const file = path.join(dir, 'demo-salon.yaml');
  fs.writeFileSync(file, source.replace(marker, `${marker}    - ${origin}\n`));
  await omni('business', 'apply', '-f', file);
}

async function waitForText(page, selector, text) {
  await page.waitForFunction(
    ([sel, want]) => {
      const root = document.querySelector('[data-omni-chat]')?.shadowRoot;
      return !!root && [...root.querySelectorAll(sel)].some((n) => n.textContent.includes(want));
    },
    [selector, text],
    { timeout: STEP_TIMEOUT_MS },
  );
}

async function send(page, text) {
  await page.locator('[data-omni-chat] .send:enabled').waitFor({ timeout: STEP_TIMEOUT_MS });
  const input = page.locator('[data-omni-chat] textarea');
  await input.fill(text);
  await input.press('Enter');
}

// Records the tool lines the widget adds while a turn runs. The offline
// dialogue's tool and reply can arrive in one network read, so the line may
// be added and removed within one task: the mutation records still hold it,
// where a query of the live tree would find nothing.
async function recordTools(page) {
  await page.evaluate(() => {
    const root = document.querySelector('[data-omni-chat]').shadowRoot;
    window.__omniTools = [];
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.classList?.contains('tool')) window.__omniTools.push(node.textContent);
        }
      }
    }).observe(root, { subtree: true, childList: true });
  });
}

async function appointments() {
  return JSON.parse(await omni('book', 'list', '-b', SLUG, '-o', 'json', '--from', BOOK_DATE));
}

const shot = screenshots('offline-booking');

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-offline-'));
  const site = await startSite();
  const siteUrl = `http://127.0.0.1:${site.address().port}/`;
  await applyBusiness(siteUrl.replace(/\/$/, ''), tmp);
  const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(siteUrl);
    await page.locator('[data-omni-chat] .bubble').click();
    await page.locator('[data-omni-chat] input[name=name]').fill('Maria Lopez');
    await page.locator('[data-omni-chat] input[name=email]').fill('maria@example.com');
    await page.locator('[data-omni-chat] .start').click();
    await page.locator('[data-omni-chat] textarea').waitFor({ state: 'visible' });

    // Book: the pre-chat name and email are used; omni confirms before booking.
    await send(page, `I'd like to book a women's haircut on ${typedDay} at 10am`);
    const confirm = `To confirm: Women's haircut on ${spokenDay} at 10:00 AM, for Maria Lopez (maria@example.com). Shall I book it?`;
    await waitForText(page, '.msg.assistant .text', confirm);
    console.log('ok - the dialogue asks to confirm the service, day, time, name and email');
    check((await appointments()).length === 0, 'nothing is booked before the visitor confirms');
    await recordTools(page);
    await send(page, 'yes');
    await waitForText(page, '.msg.assistant .text', `You're booked: Women's haircut on ${spokenDay} at 10:00 AM`);
    check((await page.evaluate(() => window.__omniTools)).includes('Booking your appointment…'),
      'the widget shows the booking step');
    let list = await appointments();
    check(list.length === 1 && list[0].start_local === `${BOOK_DATE} 10:00` && list[0].service === "Women's haircut" &&
      JSON.stringify(list[0]).includes('Maria Lopez'), 'omni book list shows the appointment at 10:00');
    await shot(page, '1-booked');

    // Reschedule: "to 2pm" keeps the day.
    await send(page, 'can I move it to 2pm?');
    await waitForText(page, '.msg.assistant .text',
      `To confirm: move your Women's haircut from ${spokenDay} at 10:00 AM to ${spokenDay} at 2:00 PM?`);
    await send(page, 'yes please');
    await waitForText(page, '.msg.assistant .text', `Done: your Women's haircut is now on ${spokenDay} at 2:00 PM.`);
    list = await appointments();
    check(list.length === 1 && list[0].start_local === `${BOOK_DATE} 14:00`, 'the appointment moved to 14:00');
    await shot(page, '2-moved');

    // Cancel, with a reload between the question and the answer: the
    // dialogue's state is in the conversation, not the page.
    await send(page, 'Please cancel my appointment');
    await waitForText(page, '.msg.assistant .text', `To confirm: cancel your Women's haircut on ${spokenDay} at 2:00 PM?`);
    await page.reload();
    await waitForText(page, '.msg.assistant .text', 'To confirm: cancel your');
    await send(page, 'yes');
    await waitForText(page, '.msg.assistant .text', `Your Women's haircut on ${spokenDay} at 2:00 PM is canceled.`);
    list = await appointments();
    check(list.length === 1 && /^cancel+ed$/i.test(list[0].status), 'the appointment is canceled');
    await shot(page, '3-canceled');

    check(pageErrors.length === 0, `no script errors on the page (${pageErrors.join('; ')})`);
  } catch (error) {
    const page = context.pages()[0];
    if (page) await shot(page, 'failed').catch(() => {});
    throw error;
  } finally {
    await context.close();
    site.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const deadline = setTimeout(() => {
  console.error('offline booking browser test timed out');
  process.exit(1);
}, 120000);
main().then(() => {
  clearTimeout(deadline);
  console.log('offline booking browser test passed');
}).catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
