// The long-lived driver behind tests/e2e: one JSON object per line on stdin, one answer per line on stdout
// ({"id", "ok": true, "result"} or {"id", "ok": false, "error"}); stdout carries nothing else.
//   node driver.js --bot URL --users .m365agentsplayground.yml --run-dir DIR --chromium /usr/bin/chromium
// Every command names the person ("user": their display name in the users file); the first command for a
// person starts their Playground and page (about 5 s). "card" is a card's index on that person's page,
// default the last one.
//   send_text {text}  fill {label, value}  pick {label, values}  options {label, typed}  click {title}  reveal {title}: an Action.ShowCard
//   mark, then wait_card {timeout}: a card that arrives without an action (a proactive message)
//   card_text  cards_text  field_errors  screenshot {path, full}  page_errors (and forget them)  quit
'use strict';
const fs = require('fs');
const readline = require('readline');
const { Chat, startPlayground, launchBrowser, parseUsers } = require('./playground');

const arg = (k) => {
  const i = process.argv.indexOf(k);
  if (i < 0) throw new Error(`${k} is required`);
  return process.argv[i + 1];
};
const BOT = arg('--bot');
const baseYaml = fs.readFileSync(arg('--users'), 'utf8');
const RUN = arg('--run-dir');
const CHROMIUM = arg('--chromium');
const users = Object.fromEntries(parseUsers(baseYaml).map((u) => [u.name, u]));
const chats = {};
const playgrounds = [];
let browser = null;

async function chatFor(name) {
  if (chats[name]) return chats[name];
  if (!users[name]) throw new Error(`no such person in the users file: ${name}`);
  browser = browser || (await launchBrowser(CHROMIUM));
  const pg = await startPlayground({ botUrl: BOT, user: users[name], baseYaml, workDir: RUN });
  playgrounds.push(pg.child);
  const chat = await Chat.open(browser, pg.url, users[name]);
  chat.readyMs = pg.readyMs;
  chats[name] = chat;
  return chat;
}

async function answered(chat, r) {
  return { ms: r.ms, events: r.events, index: r.index, text: await chat.cardText(chat.card(r.index)) };
}

const handlers = {
  async open(chat) { return { ready_ms: chat.readyMs, open_ms: chat.openMs, welcome: await chat.cardText(chat.card(0)) }; },
  async send_text(chat, { text }) { return answered(chat, await chat.sendText(text)); },
  async fill(chat, { label, value, card }) { return chat.fill(label, value, chat.card(card)); },
  async pick(chat, { label, values, card }) { return chat.pick(label, values, chat.card(card)); },
  async options(chat, { label, typed, card }) { return chat.options(label, typed, chat.card(card)); },
  async click(chat, { title, card, timeout }) { return answered(chat, await chat.click(title, { card: chat.card(card), timeout })); },
  async reveal(chat, { title, card }) { await chat.reveal(title, chat.card(card)); return true; },
  async mark(chat) { await chat.mark(); return true; },
  async wait_card(chat, { timeout }) { return answered(chat, await chat.waitNewCard({ timeout })); },
  async card_text(chat, { card }) { return chat.cardText(chat.card(card)); },
  async cards_text(chat) { return (await chat.cards().allInnerTexts()).map((t) => t.trim()); },
  async field_errors(chat, { card }) { return chat.fieldErrors(chat.card(card)); },
  async screenshot(chat, { path, full, card }) { return chat.screenshot(path, { full, card: chat.card(card) }); },
  async page_errors(chat) { return chat.pageErrors.splice(0); },
};

// Playgrounds first: the bot holds their connections open, and they hold the browser's.
async function shutdown() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  for (const p of playgrounds.splice(0)) p.kill('SIGTERM');
}

(async () => {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let msg = {};
    try {
      msg = JSON.parse(line);
      let result = true;
      if (msg.cmd === 'quit') {
        await shutdown();
      } else if (msg.cmd === 'opened') {
        result = Object.keys(chats);
      } else {
        const h = handlers[msg.cmd];
        if (!h) throw new Error(`unknown command ${msg.cmd}`);
        result = await h(await chatFor(msg.user), msg);
      }
      process.stdout.write(JSON.stringify({ id: msg.id, ok: true, result }) + '\n');
      if (msg.cmd === 'quit') break;
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: msg.id, ok: false, error: String(e.message || e) }) + '\n');
    }
  }
  await shutdown();
  process.exit(0);
})();
process.on('SIGTERM', () => shutdown().then(() => process.exit(0)));
