#!/usr/bin/env node
// Offline Adaptive Card validator for the senbot test-suite.
//
// Usage: node validate_cards.js FILE.json
//   FILE.json holds a JSON array of {"name": str, "card": {...AdaptiveCard...}}.
//
// Every card is parsed and validated with the official `adaptivecards` SDK
// (dist build, no DOM needed for parse/validate) targeting schema 1.5, the
// highest version Microsoft Teams renders.  Prints one JSON object:
//   {"ok": bool, "results": [{"name": str, "errors": [str, ...]}, ...]}
// Exit code: 0 all cards valid, 1 some card has errors, 2 usage/IO error.
"use strict";

const fs = require("fs");

const TARGET = "1.5";

function die(message) {
  process.stdout.write(JSON.stringify({ ok: false, error: message, results: [] }) + "\n");
  process.stderr.write(`validate_cards: ${message}\n`);
  process.exit(2);
}

let AC;
try {
  // Resolved from this script's directory, i.e. tests/node/node_modules.
  AC = require("adaptivecards/dist/adaptivecards.js");
} catch (e) {
  die(`cannot load adaptivecards (run "npm ci" in ${__dirname}): ${e.message}`);
}

// The dist build loads in plain Node: parse() and validateProperties() never
// touch window/document (only render() does), so no DOM shim is needed.
AC.GlobalSettings.enableFallback = true;

const EVENT_NAMES = {};
for (const [k, v] of Object.entries(AC.ValidationEvent)) {
  if (typeof v === "number") EVENT_NAMES[v] = k;
}

function describeSource(source) {
  if (!source || typeof source !== "object") return "";
  let type = "";
  try {
    type = typeof source.getJsonTypeName === "function" ? source.getJsonTypeName() : "";
  } catch (_e) {
    type = "";
  }
  const id = source.id ? ` id=${source.id}` : "";
  return type || id ? ` [${type}${id}]` : "";
}

function formatEvent(phaseLabel, ev) {
  const name = EVENT_NAMES[ev.event] || String(ev.event);
  return `${phaseLabel} ${name}: ${ev.message}${describeSource(ev.source)}`;
}

// Walk the raw JSON and find Teams-only Chart.* elements.  They are accepted
// only when they carry a `fallback`, since non-Teams hosts (and the SDK)
// don't know them.
function findCharts(node, jsonPath, out) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => findCharts(item, `${jsonPath}[${i}]`, out));
    return;
  }
  if (!node || typeof node !== "object") return;
  if (typeof node.type === "string" && node.type.startsWith("Chart.")) {
    const fb = node.fallback;
    const hasFallback =
      (fb && typeof fb === "object" && !Array.isArray(fb)) ||
      (typeof fb === "string" && fb.toLowerCase() === "drop");
    out.push({ type: node.type, path: jsonPath, hasFallback });
  }
  for (const [key, value] of Object.entries(node)) {
    if (value && typeof value === "object") findCharts(value, `${jsonPath}.${key}`, out);
  }
}

function compareVersion(a, b) {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 2; i++) {
    if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
  }
  return 0;
}

function validateCard(card) {
  const errors = [];
  if (!card || typeof card !== "object" || Array.isArray(card)) {
    return ["card must be a JSON object"];
  }
  if (card.type !== "AdaptiveCard") {
    errors.push(`root "type" must be "AdaptiveCard" (got ${JSON.stringify(card.type)})`);
  }
  if (typeof card.version !== "string" || !/^\d+\.\d+$/.test(card.version)) {
    errors.push(`root "version" must be a string like "1.5" (got ${JSON.stringify(card.version)})`);
  } else if (compareVersion(card.version, TARGET) > 0) {
    errors.push(`card version ${card.version} is above the supported ${TARGET}`);
  }

  const charts = [];
  findCharts(card, "$", charts);
  for (const c of charts) {
    if (!c.hasFallback) {
      errors.push(`${c.type} at ${c.path} is Teams-only and must have a "fallback"`);
    }
  }
  const chartTypes = new Set(charts.map((c) => AC.Strings.errors.unknownElementType(c.type)));

  const target = AC.Versions.v1_5;
  const context = new AC.SerializationContext(target);
  const ac = new AC.AdaptiveCard();
  ac.maxVersion = target;
  try {
    ac.parse(card, context);
  } catch (e) {
    errors.push(`parse threw: ${e && e.message ? e.message : String(e)}`);
    return errors;
  }
  for (let i = 0; i < context.eventCount; i++) {
    const ev = context.getEventAt(i);
    if (ev.event === AC.ValidationEvent.Hint) continue;
    if (ev.event === AC.ValidationEvent.UnknownElementType && chartTypes.has(ev.message)) {
      // Chart.* handled above: either allowed (has fallback) or already reported.
      continue;
    }
    errors.push(formatEvent("parse", ev));
  }

  let results;
  try {
    results = ac.validateProperties();
  } catch (e) {
    errors.push(`validateProperties threw: ${e && e.message ? e.message : String(e)}`);
    return errors;
  }
  for (const ev of results.validationEvents) {
    if (ev.event === AC.ValidationEvent.Hint) continue;
    errors.push(formatEvent("validate", ev));
  }
  return [...new Set(errors)];
}

function main(argv) {
  if (argv.length !== 1 || argv[0] === "-h" || argv[0] === "--help") {
    die("usage: node validate_cards.js FILE.json");
  }
  let items;
  try {
    items = JSON.parse(fs.readFileSync(argv[0], "utf8"));
  } catch (e) {
    die(`cannot read ${argv[0]}: ${e.message}`);
  }
  if (!Array.isArray(items)) die("input must be a JSON array of {name, card}");

  const out = [];
  let ok = true;
  items.forEach((item, i) => {
    const name =
      item && typeof item === "object" && typeof item.name === "string" ? item.name : `#${i}`;
    const errors =
      item && typeof item === "object" && "card" in item
        ? validateCard(item.card)
        : ['entry must be an object with a "card" key'];
    if (errors.length) ok = false;
    out.push({ name, errors });
  });
  // exitCode (not exit()) so a large report is fully flushed to a pipe.
  process.stdout.write(JSON.stringify({ ok, results: out }) + "\n");
  process.exitCode = ok ? 0 : 1;
}

main(process.argv.slice(2));
