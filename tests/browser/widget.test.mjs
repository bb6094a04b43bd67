// The webchat widget in real headless Chromium, driven by playwright-core.
// Run by browser_tests (tests/browser/browser_test.cpp), which starts the
// database, the fake model and omnid, and passes:
//   OMNI_URL            omnid's base URL (http://127.0.0.1:PORT)
//   OMNI_CLI, OMNI_CONFIG   the omni binary and its config (same database)
//   OMNI_SOURCE_DIR, OMNI_ARTIFACTS_DIR, BOOK_DATE
// Steps: apply the demo business with this test's page origin allowed, ingest
// a page of its site, load a third-party page embedding the snippet, fill the
// pre-chat form, see a streamed answer, book through the tools, see a cited
// answer link its source, check the appointment with
// `omni book list`, see a complaint handed off without the team's note
// showing, see `omni conversations reply` arrive live, reload and
// see the history, rate the conversation once the team resolves it (CSAT,
// read back through `omni analytics`), then a phone-sized viewport and the
// full-page chat, where the visitor ends the chat and rates it, and a
// business at its plan's limit showing its own message.
// Everything runs on 127.0.0.1. Exits non-zero on the first failed check.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { check, env, screenshots } from './support.mjs';

const OMNI_URL = env('OMNI_URL');
const OMNI_CLI = env('OMNI_CLI');
const BOOK_DATE = env('BOOK_DATE');
const SLUG = 'demo-salon';
const QUIET_SLUG = 'quiet-studio';  // AI off, never open
const BUSY_SLUG = 'busy-salon';  // PROFESSIONAL, which browser_tests limits to one interaction a month
const MEMBER = 'member-4711@bellahairstudio.example';
let addMemberPage = null;  // set by startSite: (widget secret) => serves /member
const STEP_TIMEOUT_MS = 20000;

// Runs the omni CLI without blocking this process (the test site must keep
// answering, e.g. while omni ingests one of its pages); resolves to stdout.
async function omni(...args) {
  const { stdout } = await promisify(execFile)(OMNI_CLI, args, { env: process.env, encoding: 'utf8', timeout: 60000 });
  return stdout;
}

// A page of the business's site that goes into its knowledge base.
const PARKING_PAGE = `<!doctype html><html><head><title>Parking and directions</title></head><body>
<h1>Parking and directions</h1><p>Where to park when you visit the salon: free street parking on Court Street,
and the Atlantic Avenue garage two blocks away. The F and G trains stop at Bergen Street.</p></body></html>`;

// The business's site: a plain page on its own origin embedding the snippet.
function startSite() {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Bella Hair Studio</title>
<style>body{margin:0;font-family:Georgia,serif;background:#fdf6f3;color:#2f2a2b}
header{padding:28px 48px;border-bottom:1px solid #eadcd6;font-size:26px;letter-spacing:.5px}
main{padding:48px;max-width:640px}h1{font-size:40px;margin:0 0 16px}p{font-size:18px;line-height:1.6}</style></head>
<body><header>Bella Hair Studio</header><main><h1>Cuts, color &amp; care in Brooklyn</h1>
<p>214 Court Street. Open Tuesday to Saturday. Book online or chat with us any time.</p></main>
<script src="${OMNI_URL}/widget.js" data-business="${SLUG}" async></script></body></html>`;
  const quiet = html.replace(`data-business="${SLUG}"`, `data-business="${QUIET_SLUG}"`);
  const busy = html.replace(`data-business="${SLUG}"`, `data-business="${BUSY_SLUG}"`);
  const pages = { '/': html, '/parking': PARKING_PAGE, '/quiet': quiet, '/busy': busy };
  // A logged-in member: the site's server signs the identity with the widget secret.
  addMemberPage = (secret) => {
    const hash = crypto.createHmac('sha256', secret).update(MEMBER).digest('hex');
    pages['/member'] = html.replace('async>', `data-identity="${MEMBER}" data-identity-hash="${hash}" async>`);
  };
  const server = http.createServer((req, res) => {
    res.writeHead(pages[req.url] ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(pages[req.url] || 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// config/demo-salon.yaml with the test page's origin and omnid's own (for
// the full-page chat, as the file does for omnid's default 127.0.0.1:8080)
// added to allowed_origins.
async function applyBusiness(origins, dir) {
  const source = fs.readFileSync(path.join(env('OMNI_SOURCE_DIR'), 'config', 'demo-salon.yaml'), 'utf8');
  const marker = '  allowed_origins:\n';
  if (!source.includes(marker)) throw new Error('config/demo-salon.yaml has no widget.allowed_origins');
  const file = path.join(dir, 'demo-salon.yaml');
  const text = source.replace(marker, marker + origins.map((o) => `    - ${o}\n`).join(''));
  fs.writeFileSync(file, text);
  await omni('business', 'apply', '-f', file);
  // The same business with the AI off and no opening hours.
  const quiet = path.join(dir, 'quiet.yaml');
  fs.writeFileSync(quiet, text.replace(`slug: ${SLUG}`, `slug: ${QUIET_SLUG}`)
    .replace(/\nhours:\n(  .*\n)+/, '\nhours: {}\n').replace('ai:\n  enabled: true', 'ai:\n  enabled: false'));
  await omni('business', 'apply', '-f', quiet);
  // The same business on a plan whose limit the second message reaches.
  const busy = path.join(dir, 'busy.yaml');
  fs.writeFileSync(busy, text.replace(`slug: ${SLUG}`, `slug: ${BUSY_SLUG}`) + 'plan: PROFESSIONAL\n');
  await omni('business', 'apply', '-f', busy);
}

// In-page helpers: the widget lives in an open shadow root.
const inWidget = {
  texts: (selector) => document.querySelector('[data-omni-chat]').shadowRoot
    ? [...document.querySelector('[data-omni-chat]').shadowRoot.querySelectorAll(selector)].map((n) => n.textContent)
    : [],
  // Records every text the log shows (assistant bubbles and tool lines), to
  // prove that the answer streamed and that tool activity was shown.
  record: () => {
    const root = document.querySelector('[data-omni-chat]').shadowRoot;
    window.__omniSeen = [];
    new MutationObserver(() => {
      for (const node of root.querySelectorAll('.msg.assistant .text, .tool')) window.__omniSeen.push(node.textContent);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  },
};

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

const shot = screenshots('widget');

// Sends like a visitor once the previous turn has finished (the widget
// keeps typed text but sends one turn at a time).
async function send(page, text) {
  await page.locator('[data-omni-chat] .send:enabled').waitFor({ timeout: STEP_TIMEOUT_MS });
  const input = page.locator('[data-omni-chat] textarea');
  await input.fill(text);
  await input.press('Enter');
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'omni-widget-'));
  const site = await startSite();
  const siteUrl = `http://127.0.0.1:${site.address().port}/`;
  const memberOrigin = `http://localhost:${site.address().port}`;
  await applyBusiness([siteUrl.replace(/\/$/, ''), memberOrigin, OMNI_URL], tmp);
  await omni('ingest', `${siteUrl}parking`, '-b', SLUG);

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

    // The snippet shows a bubble styled with the business's colour.
    await page.goto(siteUrl);
    const bubble = page.locator('[data-omni-chat] .bubble');
    await bubble.waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => document.querySelector('[data-omni-chat]').style.getPropertyValue('--p') === '#b4536a');
    check(await bubble.getAttribute('aria-label') === 'Open chat', 'the bubble is a labelled button');
    await shot(page, '1-bubble');

    // Opening it asks for the pre-chat fields of the business file.
    await bubble.click();
    const panel = page.locator('[data-omni-chat] .panel');
    await panel.waitFor({ state: 'visible' });
    check(await page.locator('[data-omni-chat] .title').textContent() === 'Bella Hair Studio', 'the panel shows the widget title');
    await waitForText(page, '.msg.assistant', 'Ask me anything, or book your next cut.');
    check(await page.locator('[data-omni-chat] form.pre input').count() === 2, 'the pre-chat form has name and email');
    check(await page.evaluate(() => document.querySelector('[data-omni-chat]').shadowRoot.activeElement?.name) === 'name',
      'focus moves to the first pre-chat field');
    await page.locator('[data-omni-chat] input[name=name]').fill('Maria Lopez');
    await page.locator('[data-omni-chat] input[name=email]').fill('maria@example.com');
    await shot(page, '2-prechat');
    await page.locator('[data-omni-chat] .start').click();
    await page.locator('[data-omni-chat] textarea').waitFor({ state: 'visible' });

    // A question streams its answer token by token.
    await page.evaluate(inWidget.record);
    await send(page, 'What are your opening hours?');
    await waitForText(page, '.msg.user', 'What are your opening hours?');
    const full = "We're open Tuesday to Saturday, 9am to 7pm on weekdays and 8am to 5pm on Saturdays.";
    await waitForText(page, '.msg.assistant .text', full);
    const seen = await page.evaluate(() => window.__omniSeen);
    check(seen.some((t) => t.length > 0 && t.length < full.length && full.startsWith(t)), 'the answer streamed in pieces');
    await shot(page, '3-answer');

    // Booking runs the tools; the widget shows the activity and the confirmation.
    await page.evaluate(inWidget.record);
    await send(page, "I'd like to book a women's haircut");
    await waitForText(page, '.msg.assistant .text', "You're all set: Women's haircut on " + BOOK_DATE);
    await waitForText(page, '.msg.assistant .text', 'See you then!');
    const activity = await page.evaluate(() => window.__omniSeen);
    check(activity.includes('Checking availability…'), 'tool activity "Checking availability…" was shown');
    check(activity.includes('Booking your appointment…'), 'tool activity "Booking your appointment…" was shown');
    await shot(page, '4-booked');
    const appointments = JSON.parse(await omni('book', 'list', '-b', SLUG, '-o', 'json', '--from', BOOK_DATE));
    check(appointments.some((a) => JSON.stringify(a).includes('Maria Lopez') && JSON.stringify(a).includes("Women's haircut")),
      'omni book list shows the appointment booked in the widget');

    // An answer from the knowledge base links its source.
    await send(page, 'Where can I park?');
    await waitForText(page, '.msg.assistant .text', 'and a garage is two blocks away.');
    await waitForText(page, '.cites a', '[1] Parking and directions');
    check(!(await page.evaluate(inWidget.texts, '.msg.assistant .text')).some((t) => t.includes('[1]')),
      "a citation's [1] shows once, as its chip, not also in the text");
    const cite = page.locator('[data-omni-chat] .cites a').first();
    check(await cite.getAttribute('href') === `${siteUrl}parking` && await cite.getAttribute('target') === '_blank',
      'the citation links to its source page in a new tab');
    await shot(page, '4-cited');

    // Text from the model is shown as text, never run as HTML.
    await send(page, 'Can you show <img src=x onerror="window.__omniPwned=1">?');
    await waitForText(page, '.msg.assistant .text', '<img src=x onerror="window.__omniPwned=1"> and I only show text.');
    check(await page.evaluate(() => window.__omniPwned) === undefined, 'markup from the visitor and the model is not executed');
    check(await page.locator('[data-omni-chat] .msg img').count() === 0, 'no element was created from message text');

    // A long answer on a phone keeps the question in view: the log shows the
    // start of the answer, not its end.
    await page.setViewportSize({ width: 390, height: 844 });
    await send(page, 'Tell me the long version');
    await waitForText(page, '.msg.assistant .text', 'That is the whole story.');
    await page.locator('[data-omni-chat] .send:enabled').waitFor({ timeout: STEP_TIMEOUT_MS });
    const view = await page.evaluate(() => {
      const root = document.querySelector('[data-omni-chat]').shadowRoot;
      const log = root.querySelector('.log');
      const question = [...root.querySelectorAll('.msg.user')].pop();
      const l = log.getBoundingClientRect();
      const q = question.getBoundingClientRect();
      return { top: q.top - l.top, bottom: q.bottom - l.top, height: l.height,
        atEnd: log.scrollTop + log.clientHeight >= log.scrollHeight - 2 };
    });
    check(view.top >= 0 && view.bottom <= view.height, 'on a phone the question stays in view above a long answer');
    check(!view.atEnd, 'a long answer is shown from its start, not scrolled to its end');
    await shot(page, '4-phone-long-answer');
    await page.setViewportSize({ width: 1280, height: 800 });

    // The assistant's Markdown renders as a safe subset; hostile markup and
    // javascript: links stay text, and no script runs.
    await send(page, 'Can you show some markdown?');
    await waitForText(page, '.msg.assistant .text', 'Call us any time.');
    const md = await page.evaluate(() => {
      const root = document.querySelector('[data-omni-chat]').shadowRoot;
      const last = [...root.querySelectorAll('.msg.assistant .text')].pop();
      const all = (selector) => [...last.querySelectorAll(selector)];
      return {
        paragraphs: all('p').length, breaks: all('br').length,
        strong: all('strong').map((n) => n.textContent), em: all('em').map((n) => n.textContent),
        items: all('ul > li').map((n) => n.textContent),
        links: all('a').map((a) => ({ href: a.getAttribute('href'), target: a.target, rel: a.rel, text: a.textContent })),
        elements: all('img, script, iframe, b').length, text: last.textContent,
      };
    });
    check(md.strong.join() === 'aftercare tips' && md.em.join() === '48 hours,sulfate-free', 'bold and italics render');
    check(md.items.length === 2 && md.items[1] === 'Use a sulfate-free shampoo', 'a list renders as a list');
    check(md.paragraphs === 2 && md.breaks === 1, 'paragraphs and line breaks render');
    check(md.links.length === 1 && md.links[0].href === 'https://bellahairstudio.example/aftercare' &&
      md.links[0].target === '_blank' && md.links[0].rel.includes('noopener'), 'an https link opens in a new tab with rel=noopener');
    check(md.text.includes('click me') && md.text.includes('<img src=x onerror="window.__omniPwned=3">') &&
      md.text.includes('<script>'), 'a javascript: link and raw HTML stay text');
    check(md.elements === 0, 'no element is made from raw HTML in a reply');
    check(!md.text.includes('[1]'), 'the citation marker is not repeated in the text');
    await page.waitForTimeout(200);
    check(await page.evaluate(() => window.__omniPwned) === undefined, 'no script from a reply ran');
    await shot(page, '4-markdown');

    // A complaint goes to the team: the visitor reads the model's words and a
    // notice, never the note the model left for the team.
    await page.evaluate(inWidget.record);
    await send(page, 'I want a refund for my last visit');
    await waitForText(page, '.msg.assistant .text', "I'm sorry about that. A team member will reply here.");
    await waitForText(page, '.info', 'A team member will continue this conversation here.');
    const escalation = await page.evaluate(() => window.__omniSeen);
    check(!escalation.some((t) => t.includes('INTERNAL NOTE')), "the team's reason for the handoff is never shown");
    await shot(page, '4-escalated');

    // A reply from the operator's CLI arrives live through the events stream.
    const stored = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), `omni-chat:${OMNI_URL}:${SLUG}`);
    check(!!stored?.conversation && !!stored?.token, 'the session and conversation are kept in localStorage');
    const human = 'Hi Maria, Sam from the salon here. Bring a photo of the cut you like!';
    await omni('conversations', 'reply', stored.conversation, human, '-b', SLUG);
    await waitForText(page, '.msg.human', human);
    check((await page.locator('[data-omni-chat] .msg.human .author').count()) === 1, 'the team reply is labelled with its author');
    await shot(page, '5-human-reply');

    // After a reload the same conversation comes back from the history.
    await page.reload();
    await waitForText(page, '.msg.human', human);
    const users = await page.evaluate(inWidget.texts, '.msg.user');
    check(users.length === 7 && users[0] === 'What are your opening hours?', 'the history is resumed after a reload');
    const assistants = await page.evaluate(inWidget.texts, '.msg.assistant .text');
    check(assistants.filter((t) => t.startsWith("You're all set")).length === 1, 'the booking confirmation shows once');
    await shot(page, '6-resumed');

    // Resolved by the team: the widget asks for a rating, stored with the conversation.
    await omni('conversations', 'resolve', stored.conversation, '-b', SLUG);
    await page.locator('[data-omni-chat] form.csat').waitFor({ timeout: STEP_TIMEOUT_MS });
    check(await page.locator('[data-omni-chat] .score').count() === 5, 'the survey offers ratings from 1 to 5');
    check(await page.locator('[data-omni-chat] form.csat .start').isDisabled(), 'a score is needed before sending');
    await page.locator('[data-omni-chat] .score[aria-label="4 out of 5"]').click();
    await page.locator('[data-omni-chat] form.csat textarea').fill('Quick, and Sam was lovely');
    await shot(page, '6-csat');
    await page.locator('[data-omni-chat] form.csat .start').click();
    await waitForText(page, '.info', 'Thanks for your feedback!');
    const exported = JSON.parse(await omni('analytics', 'conversations', '-b', SLUG, '-o', 'json'));
    const rated = exported.find((row) => row.id === stored.conversation);
    check(rated?.csat_score === 4 && rated?.csat_comment === 'Quick, and Sam was lovely' && rated?.resolved_by === 'HUMAN',
      'the rating is stored with the conversation and exported');
    // Another visitor's token finds no such conversation to rate.
    const stranger = await (await fetch(`${OMNI_URL}/v1/chat/${SLUG}/session`,
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).json();
    const forged = await fetch(`${OMNI_URL}/v1/chat/${SLUG}/conversations/${stored.conversation}/rating`, {
      method: 'POST', headers: { Authorization: `Bearer ${stranger.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ score: 1 }),
    });
    check(forged.status === 404, "another visitor cannot rate the conversation");

    // Closing with Escape returns focus to the bubble.
    await page.locator('[data-omni-chat] textarea').focus();
    await page.keyboard.press('Escape');
    check(await panel.isHidden(), 'Escape closes the panel');
    check(await page.evaluate(() => document.querySelector('[data-omni-chat]').shadowRoot.activeElement?.className.startsWith('bubble')),
      'focus returns to the bubble');

    // A phone: the panel fills the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await bubble.click();
    await waitForText(page, '.msg.human', human);
    const box = await panel.boundingBox();
    check(box.x === 0 && box.y === 0 && box.width === 390 && box.height === 844, 'on a phone the panel is full-screen');
    await shot(page, '7-phone');

    // The direct link: a full-page chat with frame-ancestors from the business file.
    const direct = await page.goto(`${OMNI_URL}/chat/${SLUG}`);
    const csp = direct.headers()['content-security-policy'] || '';
    check(direct.status() === 200 && csp.includes('frame-ancestors') && csp.includes(siteUrl.replace(/\/$/, '')),
      'the full-page chat allows framing by the allowed origins only');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('[data-omni-chat] .panel.page').waitFor({ state: 'visible' });
    await waitForText(page, '.title', 'Bella Hair Studio');
    check(await page.locator('[data-omni-chat] .bubble').count() === 0, 'the full-page chat has no bubble');
    // Another origin, so another visitor: the pre-chat form comes first.
    await page.locator('[data-omni-chat] input[name=name]').fill('Ada Park');
    await page.locator('[data-omni-chat] .start').click();
    await send(page, 'Are you open on Saturdays?');
    await waitForText(page, '.msg.assistant .text', full);
    await shot(page, '8-full-page');
    // The visitor ends the chat themselves and rates it.
    await page.locator('[data-omni-chat] .end').click();
    await page.locator('[data-omni-chat] form.csat').waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.locator('[data-omni-chat] .score[aria-label="5 out of 5"]').click();
    await page.locator('[data-omni-chat] form.csat .start').click();
    await waitForText(page, '.info', 'Thanks for your feedback!');
    const summary = JSON.parse(await omni('analytics', 'summary', '-b', SLUG, '-o', 'json'));
    check(summary.metrics.csat_responses.value === 2 && summary.metrics.csat_score.value === 4.5,
      'omni analytics summary reports both ratings');

    // A verified logged-in member skips the pre-chat form.
    const shown = JSON.parse(await omni('business', 'show', SLUG, '--show-secret', '-o', 'json'));
    addMemberPage(shown.widget_secret);
    // (localhost: another origin, so a visitor with nothing stored yet)
    await page.goto(`${memberOrigin}/member`);
    await page.locator('[data-omni-chat] .bubble').click();
    await page.locator('[data-omni-chat] textarea').waitFor({ state: 'visible' });
    check(await page.locator('[data-omni-chat] form.pre').isHidden(), 'a verified member gets no pre-chat form');
    await send(page, 'Hello again');
    await waitForText(page, '.msg.assistant .text', full);

    // A business with the AI off, outside its hours, says so.
    await page.goto(`${siteUrl}quiet`);
    await page.locator('[data-omni-chat] .bubble').click();
    await waitForText(page, '.sub', 'Away');
    await waitForText(page, '.notice', 'We are closed right now. Leave a message and our team will reply when we open.');
    await shot(page, '9-ai-off-closed');

    // A site that is not among the allowed origins: the widget says so in
    // words, and the console carries omni's reason and fix for the developer.
    const refusedSite = await startSite();
    const strangerOrigin = `http://127.0.0.1:${refusedSite.address().port}`;
    const consoleLines = [];
    page.on('console', (message) => consoleLines.push(message.text()));
    await page.goto(`${strangerOrigin}/`);
    await page.locator('[data-omni-chat] .bubble').click();
    await waitForText(page, '.error', 'This site is not allowed to use this chat.');
    check(!(await page.evaluate(inWidget.texts, '.error')).some((t) => t.includes('Failed to fetch')),
      'a refused site reads why, not "Failed to fetch"');
    check(consoleLines.some((line) => line.includes(`omni: origin ${strangerOrigin} may not use the chat of ${SLUG}`) &&
      line.includes('hint: Add')), 'the console shows omni\'s reason and hint for a refused site');
    await shot(page, '10-origin-refused');
    refusedSite.close();

    // At the plan's limit the visitor reads the business's message, not the
    // limit, and the conversation goes to the team.
    await page.goto(`${siteUrl}busy`);
    await page.locator('[data-omni-chat] .bubble').click();
    await page.locator('[data-omni-chat] input[name=name]').fill('Lee Chen');
    await page.locator('[data-omni-chat] .start').click();
    await send(page, 'Where can I park?');
    await waitForText(page, '.msg.assistant .text', 'a garage is two blocks away');
    await send(page, 'And are you open on Sundays?');
    const limitMessage = "We can't chat right now. Leave your email and the team will get back to you.";
    await waitForText(page, '.msg.assistant .text', limitMessage);
    await waitForText(page, '.info', 'A team member will continue this conversation here.');
    const shownText = await page.evaluate(() => document.querySelector('[data-omni-chat]').shadowRoot.textContent);
    check(!/plan|PROFESSIONAL|interactions|limit/i.test(shownText), 'the widget never shows the plan or its limit');
    check(await page.locator('[data-omni-chat] .error').count() === 0, 'the limit is no error for the visitor');
    const busyChats = JSON.parse(await omni('conversations', 'list', '-b', BUSY_SLUG, '-o', 'json'));
    check(busyChats.some((c) => c.status === 'ESCALATED'), 'the conversation at the limit is handed to the team');
    await shot(page, '10-plan-limit');

    check(pageErrors.length === 0, `no script errors on the pages (${pageErrors.join('; ')})`);
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
  console.error('browser test timed out');
  process.exit(1);
}, 180000);
main().then(() => {
  clearTimeout(deadline);
  console.log('browser test passed');
}).catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
