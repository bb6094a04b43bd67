// The operator console in real headless Chromium, driven by playwright-core.
// Run by browser_tests (tests/browser/browser_test.cpp), which seeds the
// demo salon (an agent, an owner, three weeks of conversations), starts
// the fake model and omnid, and passes OMNI_URL and OMNI_ARTIFACTS_DIR.
// Steps: from omnid's front page the agent signs in with the keyboard; a
// visitor in a second browser context asks for a person, and the
// conversation appears in the inbox live (no reload) with a title badge;
// the agent opens it (tool calls shown discreetly), replies, and the
// visitor sees the reply live; the visitor writes again and the AI stays
// silent (browser_tests also checks the model was never asked); the agent
// adds a private note and resolves; a phone-sized layout; the owner's
// dashboard shows its cards and draws its charts; the owner adds a
// knowledge document, finds it by search and removes it, while the agent
// sees it with no add or remove and no team or billing page; the owner
// invites a user (one-time link, which the invitee opens to choose a
// password and sign in), changes their role and removes them,
// creates a key (shown once, then only its prefix) and revokes it; the
// billing page shows the plan and usage bars, and says why there is no
// Stripe portal rather than offering a broken button. Every page runs under
// the console's Content-Security-Policy without a violation, and nothing
// is loaded from anywhere but omnid. Exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import { check, env, recordFailure, screenshots } from './support.mjs';

const OMNI_URL = env('OMNI_URL');
const SLUG = 'demo-salon';
const PASSWORD = 'correct horse battery';
const STEP_TIMEOUT_MS = 20000;

const shot = screenshots('console');

// Records CSP violations and every request that leaves omnid.
async function guard(context) {
  const foreign = [];
  context.on('request', (request) => {
    if (!request.url().startsWith(OMNI_URL) && !request.url().startsWith('data:')) foreign.push(request.url());
  });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return foreign;
}

async function signIn(page, email) {
  await page.locator('#business').waitFor({ timeout: STEP_TIMEOUT_MS });
  // The keyboard alone: type, Tab to the next field, Enter to submit.
  await page.locator('#business').focus();
  await page.keyboard.type(SLUG);
  await page.keyboard.press('Tab');
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.body.getAttribute('data-live') === 'ready', null, { timeout: STEP_TIMEOUT_MS });
}

async function waitForWidgetText(page, selector, text) {
  await page.waitForFunction(
    ([sel, want]) => {
      const root = document.querySelector('[data-omni-chat]')?.shadowRoot;
      return !!root && [...root.querySelectorAll(sel)].some((n) => n.textContent.includes(want));
    },
    [selector, text],
    { timeout: STEP_TIMEOUT_MS },
  );
}

async function visitorSends(page, text) {
  await page.locator('[data-omni-chat] .send:enabled').waitFor({ timeout: STEP_TIMEOUT_MS });
  const input = page.locator('[data-omni-chat] textarea');
  await input.fill(text);
  await input.press('Enter');
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const agentContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const foreign = await guard(agentContext);
    const agent = await agentContext.newPage();
    agent.setDefaultTimeout(STEP_TIMEOUT_MS);

    // 1. omnid's front page leads the team to the console; the agent signs in.
    await agent.goto(`${OMNI_URL}/`);
    await agent.getByRole('link', { name: 'Team sign-in' }).click();
    await agent.waitForURL(`${OMNI_URL}/console`);
    const page = await agent.request.get(`${OMNI_URL}/console`);
    const csp = page.headers()['content-security-policy'] || '';
    const scriptSrc = (csp.split(';').find((d) => d.trim().startsWith('script-src')) || '').trim();
    check(scriptSrc === "script-src 'self'" && !csp.includes('unsafe-inline') && csp.includes("default-src 'none'"),
      `the console's policy allows omnid's own scripts only (${csp})`);
    await shot(agent, '1-sign-in');
    await signIn(agent, 'agent@bella.example');
    await agent.locator('#list .item').first().waitFor();
    check(await agent.locator('#nav-dashboard').count() === 0, 'an agent has no dashboard link');
    const navigations = [];
    agent.on('framenavigated', (frame) => { if (frame === agent.mainFrame()) navigations.push(frame.url()); });
    // Every conversation the inbox ever lists, from mutation records.
    await agent.evaluate(() => {
      window.__listed = [];
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (!(node instanceof Element)) continue;
            for (const item of node.matches('a.item') ? [node] : node.querySelectorAll('a.item')) {
              window.__listed.push({ id: item.dataset.id, status: item.dataset.status, text: item.textContent,
                first: document.querySelector('#list a.item') === item });
            }
          }
        }
      }).observe(document.getElementById('main'), { subtree: true, childList: true });
    });

    // 2. A visitor in another browser context asks for a person.
    const visitorContext = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const visitor = await visitorContext.newPage();
    visitor.setDefaultTimeout(STEP_TIMEOUT_MS);
    await visitor.goto(`${OMNI_URL}/chat/${SLUG}`);
    // A new visitor meets the pre-chat form first.
    await visitor.locator('[data-omni-chat] input[name=name]').fill('Ada Park');
    await visitor.locator('[data-omni-chat] .start').click();
    await visitorSends(visitor, 'Can I talk to a human about my colour, please?');
    await waitForWidgetText(visitor, '.msg.assistant', 'A team member will reply here.');

    // The seeded handoffs are resolved: the only conversation with a person needed is the visitor's.
    await agent.waitForFunction(() => window.__listed.some((i) => i.status === 'ESCALATED'));
    const listed = await agent.evaluate(() => window.__listed.find((i) => i.status === 'ESCALATED'));
    check(listed.text.includes('Ada Park'), "the inbox names the visitor from the chat's pre-chat form");
    check(navigations.length === 0, 'the handoff appeared in the inbox live, without a reload');
    check(listed.first, 'the unattended handoff is listed first');
    await agent.waitForFunction(() => document.title.startsWith('(1) '));
    check((await agent.locator('#badge').textContent()) === '1', 'the title and the inbox badge count the new handoff');
    await shot(agent, '2-inbox-handoff');

    // 3. The agent opens it, sees the tool call discreetly, and replies.
    await agent.locator(`#list a.item[data-id="${listed.id}"]`).click();
    await agent.locator('#messages .msg.USER').first().waitFor();
    check((await agent.locator('#messages .msg.USER').first().textContent()).includes('talk to a human'),
      "the transcript shows the visitor's message");
    await agent.locator('#past li').first().waitFor();
    check((await agent.locator('#customer').textContent()).includes('Ada Park'), 'the customer panel names the visitor');
    const tool = agent.locator('#messages details.tool summary', { hasText: 'escalate_to_human' });
    check(await tool.count() >= 1 && !(await agent.locator('#messages details.tool pre').first().isVisible()),
      'the tool call is shown folded, with its name only');
    const reply = 'Hi Ada, Sam here. Which colour are you thinking of?';
    await agent.locator('#reply-text').fill(reply);
    await agent.locator('#reply-text').press('Control+Enter');
    await waitForWidgetText(visitor, '.msg.human', reply);
    check(true, 'the visitor sees the reply live');
    await shot(visitor, '3-visitor-sees-reply');

    // 4. The visitor writes again: it reaches the agent live, and the AI stays silent.
    // The agent is half-way through a private note when the visitor writes.
    await agent.locator('#note-text').fill('Prefers Tuesdays; ask about the balayage');
    await visitorSends(visitor, 'Thanks, see you soon');
    await agent.waitForFunction(() => [...document.querySelectorAll('#messages .msg.USER')]
      .some((n) => n.textContent.includes('Thanks, see you soon')));
    check(await agent.locator('#note-text').inputValue() === 'Prefers Tuesdays; ask about the balayage',
      "a live update keeps the agent's unsent note");
    await agent.locator('#note-add').click();
    await agent.locator('#notes .note', { hasText: 'Prefers Tuesdays' }).waitFor();
    await agent.locator('#resolve').click();
    await agent.waitForFunction(() => document.getElementById('status')?.textContent === 'resolved');
    const after = await agent.evaluate(() => {
      const nodes = [...document.querySelectorAll('#messages .msg')];
      const at = nodes.findIndex((n) => n.textContent.includes('Thanks, see you soon'));
      return nodes.slice(at + 1).map((n) => n.dataset.role);
    });
    check(!after.includes('ASSISTANT'), 'the AI did not answer once the agent had taken over');
    const visitorTexts = await visitor.evaluate(() =>
      [...document.querySelector('[data-omni-chat]').shadowRoot.querySelectorAll('.msg')].map((n) => n.textContent).join('\n'));
    check(!visitorTexts.includes('Prefers Tuesdays'), 'the private note never reaches the visitor');
    await shot(agent, '4-resolved');

    // 5. Phone-sized: one pane at a time.
    await agent.setViewportSize({ width: 390, height: 844 });
    check(await agent.locator('#pane').isVisible() && !(await agent.locator('#list').isVisible()),
      'on a phone the open conversation fills the screen');
    await shot(agent, '5-phone-conversation');
    await agent.locator('a.back').click();
    await agent.locator('#list').waitFor({ state: 'visible' });
    await shot(agent, '5-phone-inbox');
    check(await agent.evaluate(() => window.__csp.length) === 0, 'no Content-Security-Policy violation in the inbox');

    // 6. The owner's dashboard: cards with the change, and the charts drawn.
    const ownerContext = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const ownerForeign = await guard(ownerContext);
    const owner = await ownerContext.newPage();
    owner.setDefaultTimeout(STEP_TIMEOUT_MS);
    await owner.goto(`${OMNI_URL}/console`);
    await signIn(owner, 'owner@bella.example');
    await owner.locator('#nav-dashboard').click();
    await owner.locator('.card[data-metric=conversations] .value').waitFor();
    const conversations = Number(await owner.locator('.card[data-metric=conversations] .value').textContent());
    check(conversations >= 20, `the dashboard counts the seeded conversations (${conversations})`);
    check(/vs previous|no change/.test(await owner.locator('.card[data-metric=conversations] .change').textContent()),
      'each card shows the change from the previous period');
    await owner.waitForFunction(() => {
      const images = [...document.querySelectorAll('#charts img')];
      return images.length >= 6 && images.every((img) => img.complete && img.naturalWidth > 0);
    });
    check(true, 'every trend chart is drawn');
    await shot(owner, '6-dashboard');
    check(await owner.evaluate(() => window.__csp.length) === 0, 'no Content-Security-Policy violation on the dashboard');

    // 7. Knowledge: the owner adds a document and finds it the way the assistant would.
    await owner.locator('#nav-knowledge').click();
    await owner.locator('#kb-list').waitFor();
    const docTitle = 'Parking at Bella';
    await owner.locator('#kb-title').fill(docTitle);
    await owner.locator('#kb-text').fill('# Parking\n\nFree parking behind the salon on Elm Street: two hours with a ticket from reception.');
    await owner.locator('#kb-add').click();
    const docRow = owner.locator('#kb-docs tbody tr', { hasText: docTitle });
    await docRow.waitFor();
    await owner.locator('#kb-q').fill('is there parking near the salon?');
    await owner.locator('#kb-q').press('Enter');
    const hit = owner.locator('#kb-hits .hit', { hasText: docTitle });
    await hit.waitFor();
    check(/^score \d+\.\d{3}$/.test(await hit.locator('.score').textContent()) &&
      (await hit.locator('.snippet').textContent()).includes('Elm Street'),
      'a search shows what the assistant would retrieve, with its score and snippet');
    await shot(owner, '7-knowledge');

    // 8. An agent reads and searches knowledge, with no way to change it and no team or billing pages.
    await agent.setViewportSize({ width: 1280, height: 800 });
    check(await agent.locator('#nav-team').count() === 0 && await agent.locator('#nav-billing').count() === 0,
      'an agent has no team or billing link');
    await agent.locator('#nav-knowledge').click();
    await agent.locator('#kb-docs tbody tr', { hasText: docTitle }).waitFor();
    check(await agent.locator('#kb-add-form').count() === 0 && await agent.locator('#kb-docs .kb-remove').count() === 0,
      'an agent sees no way to add or remove documents');
    await agent.locator('#kb-q').fill('parking');
    await agent.locator('#kb-q').press('Enter');
    await agent.locator('#kb-hits .hit', { hasText: docTitle }).waitFor();
    check(true, 'an agent can search the knowledge');
    await agent.goto(`${OMNI_URL}/console#/team`);
    await agent.locator('#list').waitFor();
    check(await agent.locator('#team').count() === 0, "an agent who types the team page's address gets the inbox");
    await shot(agent, '8-agent-knowledge');
    check(await agent.evaluate(() => window.__csp.length) === 0, 'no Content-Security-Policy violation for the agent');

    // 9. The owner removes the document, after confirming.
    await docRow.locator('button.kb-remove').click();
    check(await docRow.count() === 1, 'remove asks before it removes');
    await docRow.locator('button.kb-remove-yes').click();
    await owner.waitForFunction((title) => ![...document.querySelectorAll('#kb-docs tbody tr, #kb-list .empty')]
      .some((n) => n.textContent.includes(title)) && !!document.querySelector('#kb-list table, #kb-list .empty'), docTitle);
    await owner.locator('#kb-q').press('Enter');
    await owner.waitForFunction((title) => {
      const hits = document.getElementById('kb-hits');
      return hits.children.length > 0 && !hits.textContent.includes(title);
    }, docTitle);
    check(true, 'a removed document is no longer listed or retrieved');

    // 10. Team: the owner invites a user and sees the one-time link, changes their role, removes them.
    await owner.locator('#nav-team').click();
    await owner.locator('#team-table').waitFor();
    await owner.locator('#invite-email').fill('lee@bella.example');
    await owner.locator('#invite-name').fill('Lee');
    await owner.locator('#invite-role').selectOption('AGENT');
    await owner.locator('#invite-email').press('Enter');
    await owner.locator('#invite-link').waitFor();
    const link = await owner.locator('#invite-link').inputValue();
    check(new RegExp(`/console/set-password\\?business=${SLUG}#token=.{20,}`).test(link),
      'an invitation shows its one-time set-password link, naming the business');
    const leeRow = owner.locator('#team-table tbody tr[data-email="lee@bella.example"]');
    await leeRow.waitFor();
    check((await leeRow.textContent()).includes('invited'), 'the invitee is listed as invited');
    await shot(owner, '10-team-invite');
    // The invitee opens the link (on this omnid: the test's public URL names port 0) and chooses a password.
    const inviteeContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const inviteeForeign = await guard(inviteeContext);
    const invitee = await inviteeContext.newPage();
    invitee.setDefaultTimeout(STEP_TIMEOUT_MS);
    await invitee.goto(OMNI_URL + link.slice(link.indexOf('/console/set-password')));
    await invitee.locator('#new-password').fill(PASSWORD);
    await invitee.locator('#new-password-again').fill(PASSWORD);
    await invitee.locator('#new-password-again').press('Enter');
    await invitee.locator('.login .error', { hasText: 'Password set for lee@bella.example' }).waitFor();
    check(await invitee.locator('#business').inputValue() === SLUG && !invitee.url().includes('token'),
      'the set-password page leads to a sign-in filled in for the business, the token gone from the address');
    await invitee.locator('#password').fill(PASSWORD);
    await invitee.locator('#password').press('Enter');
    await invitee.waitForFunction(() => document.body.getAttribute('data-live') === 'ready');
    check((await invitee.locator('.top .who').textContent()).includes('agent'), 'the invitee signs in with the role given');
    await shot(invitee, '10-invitee-signed-in');
    check(await invitee.evaluate(() => window.__csp.length) === 0 && inviteeForeign.length === 0,
      'the set-password page keeps to the policy and to omnid');
    await inviteeContext.close();
    await leeRow.locator('select').selectOption('ADMIN');
    await owner.locator('#toast', { hasText: 'is now admin' }).waitFor();
    const team = await (await owner.request.get(`${OMNI_URL}/v1/console/team`)).json();
    check(team.users.find((u) => u.email === 'lee@bella.example')?.role === 'ADMIN', 'a role changed in the console is stored');
    await leeRow.locator('button.user-remove').click();
    await leeRow.locator('button.user-remove-yes').click();
    await leeRow.waitFor({ state: 'detached' });
    check(true, 'a removed team member leaves the list');

    // 11. Keys: created and shown once with a copy button, then only by prefix; revoked.
    await owner.locator('#key-name').fill('Booking sync');
    await owner.locator('#key-name').press('Enter');
    await owner.locator('#key-secret').waitFor();
    const secret = await owner.locator('#key-secret').inputValue();
    check(await owner.locator('#key-result button.copy').isVisible(), 'the new key has a copy button');
    const keyRow = owner.locator('#key-table tbody tr', { hasText: 'Booking sync' });
    await keyRow.waitFor();
    const prefix = (await keyRow.locator('code.prefix').textContent()).replace('…', '');
    check(prefix.length >= 8 && secret.startsWith(prefix) && secret.length > prefix.length + 10,
      'the key list shows only the prefix of the key shown once');
    const asKey = await owner.request.get(`${OMNI_URL}/v1/console/me`, { headers: { Authorization: `Bearer ${secret}` } });
    check(asKey.status() === 200 && (await asKey.json()).role === 'AGENT', 'the key shown works as an agent\'s key');
    await shot(owner, '11-key-created');
    await owner.reload();
    await keyRow.waitFor();
    check(await owner.locator('#key-secret').count() === 0 &&
      !(await owner.evaluate(() => document.body.innerText + [...document.querySelectorAll('input')].map((i) => i.value).join(' '))).includes(secret),
      'once the page is left the key is never shown again');
    await keyRow.locator('button.key-revoke').click();
    await keyRow.locator('button.key-revoke-yes').click();
    await keyRow.waitFor({ state: 'detached' });
    const revoked = await owner.request.get(`${OMNI_URL}/v1/console/me`, { headers: { Authorization: `Bearer ${secret}` } });
    check(revoked.status() === 401, 'a revoked key stops working');

    // 12. Billing: plan, usage bars against limits, and the portal's refusal said plainly (no Stripe key here).
    await owner.locator('#nav-billing').click();
    await owner.locator('#usage meter').first().waitFor();
    check((await owner.locator('#plan dd[data-fact=plan]').textContent()).trim().length > 0, 'the billing page names the plan');
    const bars = await owner.evaluate(() => [...document.querySelectorAll('#usage .usage-row')].map((row) => ({
      metric: row.dataset.metric, max: Number(row.querySelector('meter').max), text: row.textContent })));
    const docsBar = bars.find((b) => b.metric === 'documents');
    check(bars.length >= 3 && !!docsBar && /\d+ of \d+|no limit/.test(docsBar.text),
      `usage is drawn as bars against the plan's limits (${bars.map((b) => b.metric).join(', ')})`);
    await owner.locator('#manage-billing').click();
    await owner.locator('#portal-message').waitFor();
    check((await owner.locator('#portal-message').textContent()).includes('Billing is not set up on this server') &&
      await owner.locator('#manage-billing').count() === 0,
      "without a Stripe key the page says so instead of keeping a broken button");
    await shot(owner, '12-billing');
    await owner.setViewportSize({ width: 390, height: 844 });
    check(await owner.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      'the billing page fits a phone without sideways scrolling');
    await shot(owner, '12-billing-phone');
    await owner.locator('#nav-team').click();
    await owner.locator('#key-form').waitFor();
    await owner.locator('#team-table').waitFor();
    check(await owner.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      'the team page fits a phone, its tables scrolling within themselves');
    await shot(owner, '12-team-phone');
    check(await owner.evaluate(() => window.__csp.length) === 0, "no Content-Security-Policy violation on the owner's pages");
    check(foreign.length === 0 && ownerForeign.length === 0,
      `nothing is loaded from outside omnid (${[...foreign, ...ownerForeign].join(', ')})`);
    console.log('console browser test passed');
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
