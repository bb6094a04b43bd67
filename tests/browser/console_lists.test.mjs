// The console's paged lists in real headless Chromium, driven by
// playwright-core. Run by browser_tests (tests/browser/browser_test.cpp),
// which seeds the demo salon and a rival business with more conversations
// and knowledge documents than two pages each, and passes OMNI_URL,
// OMNI_CLI, OMNI_CONFIG, OMNI_EXPECTED (a JSON file of the salon's ids in
// the API's order, and the rival's ids) and OMNI_ARTIFACTS_DIR.
// Steps: the agent's inbox shows one page and a "Load more" button, which
// appends the next page until there is none and then goes; every
// conversation is listed exactly once, in order, and none of the rival's
// ever is (mutation records); on a phone, the inbox pages the same way with
// the keyboard alone; a conversation from the last page, escalated through
// the CLI, changes live in the list; on a phone, the knowledge page pages
// with the keyboard alone too, focus moving to the first item of the last
// page when the button goes; the agent assigns a conversation to a teammate
// with the picker (the business's users only) and to themselves, and the
// inbox's Mine / Unassigned / All lists what each says, live and paged; a
// teammate removed through the CLI leaves the open conversation, its picker
// and the inbox live. Exits non-zero on the first failed check.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { check, env, recordFailure, screenshots } from './support.mjs';

const OMNI_URL = env('OMNI_URL');
const OMNI_CLI = env('OMNI_CLI');
const EXPECTED = JSON.parse(fs.readFileSync(env('OMNI_EXPECTED'), 'utf8'));
const SLUG = 'demo-salon';
const PASSWORD = 'correct horse battery';
const PAGE = 50;
const STEP_TIMEOUT_MS = 20000;

const shot = screenshots('console-lists');

async function omni(...args) {
  const { stdout } = await promisify(execFile)(OMNI_CLI, ['--config', env('OMNI_CONFIG'), '-b', SLUG, ...args],
    { encoding: 'utf8', timeout: 60000 });
  return stdout;
}

async function signIn(page, email) {
  await page.goto(`${OMNI_URL}/console`);
  await page.locator('#business').fill(SLUG);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password').press('Enter');
  await page.waitForFunction(() => document.body.getAttribute('data-live') === 'ready', null, { timeout: STEP_TIMEOUT_MS });
}

// Records the id of every node matching `selector` ever added under #main.
async function record(page, selector) {
  await page.evaluate((sel) => {
    window.__added = [];
    new MutationObserver((records) => {
      for (const r of records) {
        for (const node of r.addedNodes) {
          if (!(node instanceof Element)) continue;
          for (const item of node.matches(sel) ? [node] : node.querySelectorAll(sel)) window.__added.push(item.dataset.id);
        }
      }
    }).observe(document.getElementById('main'), { subtree: true, childList: true });
  }, selector);
}

const shown = (page, selector) => page.evaluate((sel) => [...document.querySelectorAll(sel)].map((n) => n.dataset.id), selector);

// Presses "Load more" (a click, or Enter with the keyboard) until it goes,
// each time waiting for the list to grow by a page or to end.
async function loadAll(page, button, selector, total, keyboard) {
  let count = await page.locator(selector).count();
  let presses = 0;
  while (await page.locator(button).isVisible()) {
    if (keyboard) {
      // Focus stays on the button between pages: it is busy, never disabled.
      if (!await page.locator(button).evaluate((b) => b === document.activeElement)) await page.locator(button).focus();
      await page.keyboard.press('Enter');
    } else {
      await page.locator(button).click();
    }
    presses++;
    const want = Math.min(total, count + PAGE);
    await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length === n, [selector, want]);
    count = want;
    if (count === total) await page.locator(button).waitFor({ state: 'hidden' });
  }
  return presses;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const agent = await context.newPage();
    agent.setDefaultTimeout(STEP_TIMEOUT_MS);

    // 1. The inbox: one page, then "Load more" to the end.
    const conversations = EXPECTED.conversations;
    await signIn(agent, 'agent@bella.example');
    await agent.waitForFunction((n) => document.querySelectorAll('#list a.item').length === n, PAGE);
    await record(agent, 'a.item');
    check(await agent.locator('#inbox-more').isVisible(), `the inbox shows ${PAGE} conversations and a Load more button`);
    await shot(agent, '1-inbox-first-page');
    const presses = await loadAll(agent, '#inbox-more', '#list a.item', conversations.length, false);
    check(presses === Math.ceil(conversations.length / PAGE) - 1,
      `Load more was offered ${presses} times for ${conversations.length} conversations, then went`);
    const listed = await shown(agent, '#list a.item');
    check(JSON.stringify(listed) === JSON.stringify(conversations),
      'every conversation is listed exactly once, latest message first');
    const added = await agent.evaluate(() => window.__added);
    check(!added.some((id) => EXPECTED.rival_conversations.includes(id)) && added.length > 0,
      "no render ever listed another business's conversation");

    // 1b. On a phone, the inbox pages the same way with the keyboard alone.
    await agent.setViewportSize({ width: 390, height: 844 });
    await agent.reload();
    await agent.waitForFunction((n) => document.querySelectorAll('#list a.item').length === n, PAGE);
    await record(agent, 'a.item');
    await agent.locator('#list a.item').last().focus();
    await agent.keyboard.press('Tab');
    check(await agent.evaluate(() => document.activeElement?.id === 'inbox-more'),
      'on a phone, Tab from the last conversation listed reaches Load more');
    const inboxBox = await agent.locator('#inbox-more').boundingBox();
    check(inboxBox && inboxBox.width <= 390 && inboxBox.height >= 44,
      `on a phone the inbox's Load more button fits and is easy to tap (${JSON.stringify(inboxBox)})`);
    check(await agent.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the inbox fits a phone');
    await shot(agent, '1b-inbox-phone');
    const phonePresses = await loadAll(agent, '#inbox-more', '#list a.item', conversations.length, true);
    check(phonePresses === presses && JSON.stringify(await shown(agent, '#list a.item')) === JSON.stringify(conversations),
      'on a phone, Enter on Load more pages to the end, every conversation once, in order');
    check(await agent.evaluate((id) => document.activeElement?.dataset?.id === id,
      conversations[Math.floor((conversations.length - 1) / PAGE) * PAGE]),
      'when the inbox button goes, focus moves to the first conversation the last page brought');
    const phoneAdded = await agent.evaluate(() => window.__added);
    check(!phoneAdded.some((id) => EXPECTED.rival_conversations.includes(id)) && phoneAdded.length > 0,
      "on a phone too, no render ever listed another business's conversation");
    await agent.setViewportSize({ width: 1280, height: 800 });

    // 2. A live update reaches a conversation loaded by the last page.
    const last = conversations[conversations.length - 1];
    await omni('conversations', 'escalate', last, '--reason', 'paged out');
    await agent.waitForFunction((id) => document.querySelector(`#list a.item[data-id="${id}"]`)?.dataset.status === 'ESCALATED',
      last);
    const afterEvent = await shown(agent, '#list a.item');
    check(afterEvent[0] === last && afterEvent.length === conversations.length &&
      new Set(afterEvent).size === conversations.length,
      'the escalated conversation from the last page moved to the top live, and the list kept every loaded item once');
    check(await agent.locator('#inbox-more').isHidden(), 'the Load more button stays gone at the end');
    await shot(agent, '2-inbox-all-loaded');

    // 3. On a phone, the knowledge page with the keyboard alone.
    const documents = EXPECTED.documents;
    await agent.setViewportSize({ width: 390, height: 844 });
    await agent.locator('#nav-knowledge').click();
    await agent.waitForFunction((n) => document.querySelectorAll('#kb-docs tbody tr').length === n, PAGE);
    await record(agent, '#kb-docs tbody tr');
    await agent.locator('#kb-more').scrollIntoViewIfNeeded();
    const box = await agent.locator('#kb-more').boundingBox();
    check(box && box.width <= 390 && box.height >= 44, `on a phone the knowledge page's Load more button fits and is easy to tap (${JSON.stringify(box)})`);
    check(await agent.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the knowledge page fits a phone');
    await shot(agent, '3-knowledge-phone');
    await loadAll(agent, '#kb-more', '#kb-docs tbody tr', documents.length, true);
    check(JSON.stringify(await shown(agent, '#kb-docs tbody tr')) === JSON.stringify(documents),
      'every document is listed exactly once, in order');
    check(await agent.evaluate((id) => document.activeElement?.dataset?.id === id, documents[Math.floor((documents.length - 1) / PAGE) * PAGE]),
      'when the button goes, focus moves to the first document the last page brought');
    const docsAdded = await agent.evaluate(() => window.__added);
    check(!docsAdded.some((id) => EXPECTED.rival_documents.includes(id)) && docsAdded.length > 0,
      "no render ever listed another business's document");

    // 4. Assigning: a teammate picker with the business's users only, and the inbox's mine / unassigned / all.
    await agent.setViewportSize({ width: 1280, height: 800 });
    await agent.locator('#nav-inbox').click();
    await agent.waitForFunction((n) => document.querySelectorAll('#list a.item').length === n, PAGE);
    const [forBella, forMe, forCli] = conversations.slice(0, 3);
    await agent.locator(`#list a.item[data-id="${forBella}"]`).click();
    await agent.locator('#assignee').waitFor();
    const options = await agent.locator('#assignee option').allTextContents();
    check(JSON.stringify(options) === JSON.stringify(['Unassigned', 'Bella', 'Sam (you)', 'Lee']),
      `the picker offers nobody and every teammate, none of another business (${options.join(', ')})`);
    // The keyboard: focus the picker and choose with the arrow keys.
    await agent.locator('#assignee').focus();
    await agent.locator('#assignee').selectOption({ label: 'Bella' });
    await agent.locator('.thread header .meta', { hasText: 'Assigned to Bella' }).waitFor();
    const cliShown = JSON.parse(await omni('conversations', 'show', forBella, '-o', 'json'));
    check(cliShown.assigned_to === 'Bella' && !!cliShown.assigned_user_id, 'choosing Bella assigns the conversation to her user');
    await agent.locator(`#list a.item[data-id="${forMe}"]`).click();
    await agent.locator('#assign-me').click();
    await agent.waitForFunction(() => document.getElementById('assignee')?.selectedOptions[0]?.textContent === 'Sam (you)');
    check(true, 'Assign to me shows in the picker');

    await agent.locator('label[for="assigned-me"]').click();
    await agent.waitForFunction((id) => {
      const ids = [...document.querySelectorAll('#list a.item')].map((n) => n.dataset.id);
      return ids.length === 1 && ids[0] === id;
    }, forMe);
    check(await agent.locator('#inbox-more').isHidden(), 'Mine lists only the conversation assigned to the agent, on one page');
    // Assigned to the agent elsewhere (the CLI), it joins Mine live.
    await omni('conversations', 'assign', forCli, '--to', 'agent@bella.example');
    await agent.locator(`#list a.item[data-id="${forCli}"]`).waitFor();
    check(await agent.locator('#list a.item').count() === 2, 'a conversation assigned to the agent elsewhere appears in Mine live');
    await shot(agent, '4-mine');

    await agent.locator('#assigned-none').focus();
    await agent.keyboard.press('ArrowRight');  // Unassigned -> All, as radio buttons move
    await agent.keyboard.press('ArrowLeft');
    // The Unassigned page has come when it holds a page and none of the three assigned.
    await agent.waitForFunction(([n, assigned]) => {
      const ids = [...document.querySelectorAll('#list a.item')].map((a) => a.dataset.id);
      return document.getElementById('assigned-none').checked && ids.length === n && !assigned.some((id) => ids.includes(id));
    }, [PAGE, [forBella, forMe, forCli]]);
    check(await agent.locator('#inbox-more').isVisible(), 'Unassigned leaves out the assigned ones and pages with Load more');
    await agent.reload();
    await agent.waitForFunction((n) => document.querySelectorAll('#list a.item').length === n, PAGE);
    check(await agent.locator('#assigned-none').isChecked(), 'the inbox filter is remembered across a reload');
    await agent.locator('label[for="assigned-all"]').click();
    await agent.waitForFunction(() => document.getElementById('assigned-all').checked);

    // 5. A teammate removed through the CLI leaves the open conversation and the inbox at once.
    const forLee = conversations[3];
    await agent.locator(`#list a.item[data-id="${forLee}"]`).click();
    await agent.locator('#assignee').waitFor();
    await omni('conversations', 'assign', forLee, '--to', 'lee@bella.example');
    await agent.locator('.thread header .meta', { hasText: 'Assigned to Lee' }).waitFor();
    await agent.locator(`#list a.item[data-id="${forLee}"]`, { hasText: 'with Lee' }).waitFor();
    await omni('users', 'rm', 'lee@bella.example');
    await agent.waitForFunction((id) => {
      const picker = document.getElementById('assignee');
      const options = picker ? [...picker.options].map((o) => o.textContent) : ['Lee'];
      return document.querySelector('.thread header .meta')?.textContent.startsWith('Unassigned') &&
        picker.value === '' && !options.includes('Lee') &&
        !document.querySelector(`#list a.item[data-id="${id}"]`)?.textContent.includes('Lee');
    }, forLee);
    check(true, 'removing a teammate through the CLI shows their conversation unassigned live, in the list and the picker');
    await shot(agent, '5-teammate-removed');
    check(await agent.evaluate(() => window.__csp.length) === 0, 'no Content-Security-Policy violation');
    console.log('console lists browser test passed');
  } catch (error) {
    await recordFailure(browser, shot);
    throw error;
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
