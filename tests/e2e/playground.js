// Driving Microsoft 365 Agents Playground (0.2.28) in headless Chromium with playwright-core.
//
// The Playground cannot change who is talking from its UI (the name top-right is only a label), so each
// person gets a Playground process of their own (own port, own config with them as `currentUser`) and a
// browser context of their own. A card the bot sends proactively lands in the right window because the bot
// stores each person's serviceUrl, which is their Playground's.
'use strict';
const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const PLAYGROUND_CLI = require.resolve('@microsoft/m365agentsplayground/cli.js');
const LOOPBACK = path.join(__dirname, 'loopback.cjs');

// ARIA roles and the renderer's stable class names only: the Playground's generated class names change.
const SEL = {
  compose: '[data-lexical-editor="true"][role="textbox"]', // Lexical contenteditable
  send: 'button[aria-label="Send Message"]',
  card: '.ac-preview-panel > .ac-adaptiveCard', // root of each rendered Adaptive Card
  option: '[role=option],[role=menuitemcheckbox]', // single choice, multi-select
};
// The renderer's Attention colour: field errors and warning text blocks.
const ATTENTION = 'rgb(196, 49, 75)';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// The users (currentUser + users[]) of the repository's .m365agentsplayground.yml. The file is flat and
// ours, so a few patterns suffice and no YAML package is needed.
function parseUsers(yamlText) {
  const users = [];
  let cur = null;
  let section = null;
  for (const l of yamlText.split('\n')) {
    if (/^currentUser:/.test(l)) { section = 'current'; cur = {}; users.push(cur); continue; }
    if (/^users:/.test(l)) { section = 'users'; continue; }
    if (/^\S/.test(l)) { section = null; continue; }
    if (section === 'users' && /^\s*-\s+\w+:/.test(l)) { cur = {}; users.push(cur); }
    const m = section && l.match(/^\s*(?:-\s+)?(\w+):\s*(.+)$/);
    if (m) cur[m[1]] = m[2].trim();
  }
  return users;
}

// The config for one person: the repository's file with that person as `currentUser` and everyone else in
// `users` (the Playground refuses a file where an id appears twice: "User ID must be unique").
function userYaml(baseYamlText, user) {
  const others = parseUsers(baseYamlText).filter((u) => u.id !== user.id);
  const kept = [];
  let skipping = false;
  for (const l of baseYamlText.split('\n')) {
    if (/^(currentUser|users):/.test(l)) { skipping = true; continue; }
    if (skipping && (/^\s/.test(l) || l === '')) continue;
    skipping = false;
    kept.push(l);
  }
  const listed = (u) => Object.entries(u).map(([k, v], i) => `${i ? '    ' : '  - '}${k}: ${v}`);
  return [...kept, 'currentUser:', ...Object.entries(user).map(([k, v]) => `  ${k}: ${v}`),
    'users:', ...others.flatMap(listed), ''].join('\n');
}

async function startPlayground({ botUrl, user, baseYaml, workDir }) {
  // The Playground moves silently to a random port when its port is taken: choose one and check it.
  const port = await freePort();
  fs.mkdirSync(workDir, { recursive: true });
  const cfg = path.join(workDir, `playground-${user.id}.yml`);
  fs.writeFileSync(cfg, userYaml(baseYaml, user));
  const t0 = Date.now();
  // It has no flag for the host and listens on every interface; the preload keeps it on loopback.
  const child = spawn(process.execPath, ['-r', LOOPBACK, PLAYGROUND_CLI,
    '-e', botUrl, '-c', 'msteams', '-p', String(port),
    '--service-url', `http://127.0.0.1:${port}/_connector`, '--disable-telemetry'], {
    cwd: workDir,
    env: {
      ...process.env,
      TEAMSAPPTESTER_BROWSER: 'none', // it would open a desktop browser
      M365_AGENTS_PLAYGROUND_CONFIG_PATH: cfg,
      M365_AGENTS_PLAYGROUND_LOGFILE: path.join(workDir, `playground-${user.id}.log`),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`playground not listening in 20 s: ${out}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/Listening on (\d+)/);
      if (!m) return;
      clearTimeout(timer);
      if (+m[1] !== port) reject(new Error(`playground took port ${m[1]}, not ${port}`));
      else resolve();
    });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (c) => { clearTimeout(timer); reject(new Error(`playground exited ${c}: ${out}`)); });
  });
  // "Listening on" is printed before the config is parsed (a bad file kills the process just after), so
  // ready means the backend answers; /_internal/v1/testConfig is cheap (/v1/config waits for the bot).
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`playground exited ${child.exitCode}; see ${cfg}.log`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/_internal/v1/testConfig`);
      if (r.status < 500) break;
    } catch { /* not up yet */ }
    if (i > 150) throw new Error('playground backend not answering in 15 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, url: `http://127.0.0.1:${port}/`, readyMs: Date.now() - t0 };
}

function launchBrowser(executablePath) {
  // chromium.launch() makes a fresh temporary profile itself (and refuses --user-data-dir in args).
  return chromium.launch({
    executablePath, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

class Chat {
  // One person's page on their own Playground.
  constructor(page, user) {
    this.page = page;
    this.user = user;
    this.events = [];
    this.pageErrors = [];
    this.clicked = null;
  }

  static async open(browser, url, user) {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1100 }, reducedMotion: 'reduce' });
    // Nothing leaves the machine: the page asks a CDN for Segoe UI and an animation worklet, and works without.
    await ctx.route('**/*', (r) => {
      const h = new URL(r.request().url()).hostname;
      return h === '127.0.0.1' || h === 'localhost' ? r.continue() : r.abort();
    });
    const page = await ctx.newPage();
    const chat = new Chat(page, user);
    page.on('pageerror', (e) => chat.pageErrors.push(e.message));
    // The conversation websocket says exactly when the bot answered: createMessage for a new message,
    // updateMessage when the bot replaced one in place.
    page.on('websocket', (ws) => {
      if (!ws.url().includes('_ws_conversation')) return;
      ws.on('framereceived', (f) => {
        let j;
        try { j = JSON.parse(String(f.payload)); } catch { return; }
        chat.events.push({ at: Date.now(), action: j.action, fromBot: j.message?.from?.id !== user.id });
      });
    });
    // An Action.Execute answer is the HTTP response to the page's invoke, with no websocket message.
    page.on('response', (r) => {
      if (/\/v1\/invoke$/.test(new URL(r.url()).pathname)) {
        chat.events.push({ at: Date.now(), action: `invoke ${r.status()}`, fromBot: true });
      }
    });
    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.locator(SEL.compose).waitFor({ state: 'visible', timeout: 20000 });
    // The welcome card: the bot's answer to installationUpdate/conversationUpdate on page load.
    await page.locator(SEL.card).first().waitFor({ timeout: 20000 });
    await chat.settle();
    chat.openMs = Date.now() - t0;
    return chat;
  }

  cards() { return this.page.locator(SEL.card); }
  card(index) { return index === undefined || index === null ? this.cards().last() : this.cards().nth(index); }

  // Two animation frames: React and the card renderer have painted.
  async settle() {
    await this.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }

  // Before an action: note the bot events, every card's text, and (a MutationObserver) which cards change.
  // Element identity cannot be used: an in-place update re-renders inside the same root element. Comparing
  // every card's text on every frame made a long conversation slow to watch, so only cards whose content
  // changed are compared.
  async mark() {
    this.eventIndex = this.events.length;
    await this.page.evaluate((sel) => {
      const cards = () => [...document.querySelectorAll(sel)];
      window.__e2e?.observer.disconnect();
      const els = cards();
      const state = { els, before: els.map((c) => c.innerText), touched: new Set(), cards };
      state.observer = new MutationObserver((ms) => {
        for (const m of ms) {
          const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
          const card = el && el.closest(sel);
          if (card) state.touched.add(card);
        }
      });
      state.observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      window.__e2e = state;
    }, SEL.card);
  }

  // After an action: (1) a bot event, then (2) a new card, or a card whose text changed.
  async waitNewCard({ timeout = 15000 } = {}) {
    const t0 = Date.now();
    const deadline = t0 + timeout;
    const since = this.eventIndex ?? 0;
    let polls = 0;
    while (!this.events.slice(since).some((e) => e.fromBot)) {
      if (Date.now() > deadline) throw new Error(`no answer from the bot in ${timeout} ms`);
      await this.page.waitForTimeout(25);
      // About every second: the page's own checks (required, min/max) stop a submit with no traffic.
      if (this.clicked && ++polls % 40 === 0) {
        const fe = await this.fieldErrors(this.clicked).catch(() => ({ fields: {} }));
        if (Object.keys(fe.fields).length) {
          throw new Error(`stopped by the client's own validation: ${JSON.stringify(fe.fields)}`);
        }
      }
    }
    const handle = await this.page.waitForFunction(() => {
      const s = window.__e2e;
      const cs = s.cards();
      if (cs.length > s.before.length) return cs.length - 1;
      // A card re-rendered into a new root element, or one whose content changed.
      const replaced = cs.filter((c, i) => c !== s.els[i]);
      for (const c of [...replaced, ...s.touched]) {
        const i = cs.indexOf(c);
        if (i >= 0 && c.innerText !== s.before[i]) return i;
      }
      return false;
    }, null, { timeout: Math.max(1000, deadline - Date.now()), polling: 'raf' });
    const index = await handle.jsonValue();
    await this.page.evaluate(() => window.__e2e.observer.disconnect());
    await this.settle();
    const events = this.events.slice(since).filter((e) => e.fromBot).map((e) => e.action);
    return { ms: Date.now() - t0, events, index };
  }

  async sendText(text) {
    this.clicked = null;
    await this.mark();
    await this.page.locator(SEL.compose).click();
    await this.page.keyboard.insertText(text);
    const t0 = Date.now();
    await this.page.locator(SEL.send).click();
    const r = await this.waitNewCard();
    return { ...r, ms: Date.now() - t0 };
  }

  // An input by its accessible name (what a screen reader says). Not getByLabel: the renderer's
  // aria-labelledby also points at the required star, so the label reads "Provision *".
  input(label, card) {
    const c = card || this.card();
    const o = { name: label, exact: true };
    return c.getByRole('combobox', o).or(c.getByRole('spinbutton', o)).or(c.getByRole('textbox', o))
      .or(c.getByRole('checkbox', o)).or(c.getByRole('radio', o));
  }

  async fill(label, value, card) {
    const el = this.input(label, card);
    const role = await el.evaluate((e) => e.getAttribute('role')
      || (['radio', 'checkbox'].includes(e.type) ? e.type : e.tagName.toLowerCase()));
    if (role === 'radio' || role === 'checkbox') {
      // Input.ChoiceSet expanded (radios or checkboxes), Input.Toggle
      if (value === false) await el.uncheck(); else await el.check();
      return String(await el.isChecked());
    }
    if (role === 'combobox' && (await el.getAttribute('aria-haspopup')) === 'dialog') {
      // Input.Date, a Fluent DatePicker: it parses typed text (ISO works) on blur. No click first: that
      // opens the calendar and the typed text is dropped.
      await el.fill(String(value));
      await el.press('Tab');
      if (!(await el.inputValue())) throw new Error(`date "${label}" did not take "${value}"`);
    } else if (role === 'spinbutton') {
      await el.fill(String(value)); // Input.Number commits on blur
      await el.press('Tab');
    } else {
      await el.fill(String(value)); // Input.Text, single or multi-line
    }
    return el.inputValue();
  }

  // Input.ChoiceSet shown as a combobox (compact, filtered, multi-select): type, click the option.
  async pick(label, titles, card) {
    const el = this.input(label, card);
    for (const t of Array.isArray(titles) ? titles : [titles]) {
      await el.click();
      await el.fill('');
      // Multi-select offers options only after typing; a few letters filter without hiding the title.
      await el.pressSequentially(t.slice(0, 6), { delay: 10 });
      await this.page.locator(SEL.option).filter({ hasText: t }).first().click();
    }
    await this.page.keyboard.press('Escape');
    return el.inputValue();
  }

  // The option titles a combobox offers after typing `typed` (so tests can choose a pupil they can see).
  async options(label, typed, card) {
    const el = this.input(label, card);
    await el.click();
    await el.fill('');
    await el.pressSequentially(typed, { delay: 10 });
    await this.page.locator(SEL.option).first().waitFor({ timeout: 5000 });
    const titles = await this.page.locator(SEL.option).allInnerTexts();
    await this.page.keyboard.press('Escape');
    await el.fill('');
    return titles.map((t) => t.trim());
  }

  // Action.ShowCard: the page opens the inner card itself; nothing goes to the bot.
  async reveal(title, card) {
    await (card || this.card()).getByRole('button', { name: title, exact: true }).click();
    await this.settle();
  }

  async click(title, { card, timeout = 15000 } = {}) {
    await this.mark();
    const target = card || this.card();
    const errBefore = this.pageErrors.length;
    const t0 = Date.now();
    await target.getByRole('button', { name: title, exact: true }).click();
    this.clicked = target;
    try {
      const r = await this.waitNewCard({ timeout });
      return { ...r, ms: Date.now() - t0 };
    } catch (e) {
      const errs = this.pageErrors.slice(errBefore);
      throw new Error(`after clicking "${title}": ${e.message}${errs.length ? `; page errors: ${errs.join(' | ')}` : ''}`);
    } finally {
      this.clicked = null;
    }
  }

  // Field errors: each input's aria-labelledby is [label, (required star), error text block]; the error
  // appears when the client's own checks fail, or when the bot sends the form back with errorMessage set.
  // `other`: any other Attention-coloured text in the card (a form-level message).
  async fieldErrors(card) {
    return (card || this.card()).evaluate((c, red) => {
      const text = (id) => { const e = id && document.getElementById(id); return e ? e.innerText.trim() : ''; };
      const fields = {};
      const linked = new Set();
      for (const i of c.querySelectorAll('input,textarea')) {
        const list = (a) => (i.getAttribute(a) || '').split(/\s+/).filter(Boolean);
        // Multi-line text inputs point at their error with aria-describedby instead.
        const ids = [...list('aria-labelledby'), ...list('aria-describedby')];
        if (!ids.length) continue;
        const errs = ids.slice(1).map((id) => document.getElementById(id))
          .filter((e) => e && e.classList.contains('ac-textBlock') && getComputedStyle(e).color === red);
        errs.forEach((e) => linked.add(e));
        if (errs.length) fields[text(ids[0]).replace(/\s*\*$/, '')] = errs.map((e) => e.innerText.trim()).join(' ');
      }
      // A multi-line input's error is not linked to it: it is the red block right after the input's box.
      const other = [];
      for (const t of c.querySelectorAll('.ac-textBlock')) {
        if (linked.has(t) || getComputedStyle(t).color !== red) continue;
        let box = t.previousElementSibling;
        while (box && !box.querySelector('input,textarea')) box = box.previousElementSibling;
        const input = box && box.querySelector('input,textarea');
        const labelId = input && (input.getAttribute('aria-labelledby') || '').split(/\s+/)[0];
        const label = labelId ? text(labelId).replace(/\s*\*$/, '') : input?.getAttribute('aria-label');
        if (input && label && box.nextElementSibling === t) fields[label] = t.innerText.trim();
        else other.push(t.innerText.trim());
      }
      return { fields, other };
    }, ATTENTION);
  }

  async cardText(card) { return (await (card || this.card()).innerText()).trim(); }

  async screenshot(file, { card, full } = {}) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (full) {
      await this.page.screenshot({ path: file, animations: 'disabled' });
    } else {
      // A card taller than the window is photographed under the page's fixed header: grow the window.
      const target = card || this.card();
      const size = this.page.viewportSize();
      const box = await target.boundingBox();
      if (box && box.height + 200 > size.height) {
        await this.page.setViewportSize({ width: size.width, height: Math.ceil(box.height) + 200 });
      }
      await target.scrollIntoViewIfNeeded();
      await this.settle();
      await target.screenshot({ path: file, animations: 'disabled' });
      await this.page.setViewportSize(size);
    }
    return file;
  }
}

module.exports = { SEL, Chat, startPlayground, launchBrowser, parseUsers, userYaml };
