#!/usr/bin/env node
// Offline Teams app manifest validator for the senbot test-suite.
//
// Usage:
//   node validate_manifest.js manifest.json
//       Validate against the official Teams JSON schema bundled in
//       @microsoft/app-manifest (never fetched from the network).  The schema
//       version comes from the manifest's "$schema" URL, or from
//       "manifestVersion" when "$schema" is absent.  Prints
//       {"ok": bool, "errors": [str, ...], "schemaVersion": "1.xx", "schema": url}
//   node validate_manifest.js --versions
//       Print the bundled Teams schema versions:
//       {"versions": [...], "newest": "1.xx", "schema": url, "devPreview": bool}
// Exit code: 0 valid, 1 invalid, 2 usage/IO error.
"use strict";

const fs = require("fs");
const path = require("path");

const SCHEMA_URL_PREFIX = "https://developer.microsoft.com/json-schemas/teams/";
const SCHEMA_FILE = "MicrosoftTeams.schema.json";

function emit(obj, code) {
  process.stdout.write(JSON.stringify(obj) + "\n");
  process.exitCode = code;
}

function fail2(message) {
  process.stderr.write(`validate_manifest: ${message}\n`);
  emit({ ok: false, errors: [message], schemaVersion: null }, 2);
}

let pkgDir;
let AppManifestUtils;
try {
  pkgDir = path.dirname(require.resolve("@microsoft/app-manifest/package.json"));
  ({ AppManifestUtils } = require("@microsoft/app-manifest"));
} catch (e) {
  fail2(`cannot load @microsoft/app-manifest (run "npm ci" in ${__dirname}): ${e.message}`);
  process.exit(2);
}
const teamsSchemaDir = path.join(pkgDir, "build", "json-schemas", "teams");

function schemaUrl(dirName) {
  return `${SCHEMA_URL_PREFIX}${dirName}/${SCHEMA_FILE}`;
}

// Bundled numeric versions ("1.0" ... "1.30"), oldest first.
function bundledVersions() {
  return fs
    .readdirSync(teamsSchemaDir)
    .filter((d) => /^v\d+\.\d+$/.test(d) && fs.existsSync(path.join(teamsSchemaDir, d, SCHEMA_FILE)))
    .map((d) => d.slice(1))
    .sort((a, b) => {
      const [a1, a2] = a.split(".").map(Number);
      const [b1, b2] = b.split(".").map(Number);
      return a1 - b1 || a2 - b2;
    });
}

function loadSchema(dirName) {
  const file = path.join(teamsSchemaDir, dirName, SCHEMA_FILE);
  if (!fs.existsSync(file)) return null;
  // Same clean-up the package applies: some schemas use \a / \v escapes,
  // which are not valid JSON.
  const raw = fs.readFileSync(file, "utf8").replace(/\\a/g, "\\u0007").replace(/\\v/g, "\\u000b");
  return JSON.parse(raw);
}

// Map a $schema URL (optionally with a locale such as /en-us/) to a bundled
// schema directory name like "v1.20" or "vDevPreview".
function schemaDirFromUrl(url) {
  const m = /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?json-schemas\/teams\/(v[^/]+)\/MicrosoftTeams\.schema\.json$/i.exec(
    url
  );
  return m ? m[1] : null;
}

async function validate(file) {
  let manifest;
  try {
    const text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
    manifest = JSON.parse(text);
  } catch (e) {
    return fail2(`cannot read ${file}: ${e.message}`);
  }
  if (!manifest || typeof manifest !== "object" || Array.isArray(manifest)) {
    return emit({ ok: false, errors: ["manifest must be a JSON object"], schemaVersion: null }, 1);
  }

  const errors = [];
  let dirName = null;
  if (typeof manifest.$schema === "string") {
    dirName = schemaDirFromUrl(manifest.$schema);
    if (!dirName) {
      errors.push(`$schema ${JSON.stringify(manifest.$schema)} is not a Teams manifest schema URL`);
    }
  } else if (manifest.$schema !== undefined) {
    errors.push("$schema must be a string");
  }
  if (!dirName && typeof manifest.manifestVersion === "string") {
    dirName = `v${manifest.manifestVersion}`;
  }
  if (!dirName) {
    errors.push('cannot determine schema version: neither "$schema" nor "manifestVersion" is usable');
    return emit({ ok: false, errors, schemaVersion: null }, 1);
  }
  const schemaVersion = dirName.slice(1);
  if (
    typeof manifest.manifestVersion === "string" &&
    dirName !== "vDevPreview" &&
    manifest.manifestVersion !== schemaVersion
  ) {
    errors.push(
      `manifestVersion ${JSON.stringify(manifest.manifestVersion)} does not match $schema version ${schemaVersion}`
    );
  }

  let schema;
  try {
    schema = loadSchema(dirName);
  } catch (e) {
    return fail2(`cannot load bundled schema ${dirName}: ${e.message}`);
  }
  if (!schema) {
    errors.push(
      `schema version ${schemaVersion} is not bundled in @microsoft/app-manifest (bundled: ${bundledVersions().join(", ")})`
    );
    return emit({ ok: false, errors, schemaVersion }, 1);
  }

  try {
    const schemaErrors = await AppManifestUtils.validateAgainstSchema(manifest, schema);
    // Ajv reports root-level problems with an empty instancePath.
    errors.push(...schemaErrors.map((s) => (s.startsWith(" ") ? `(root)${s}` : s).trim()));
  } catch (e) {
    return fail2(`schema validation failed to run: ${e.message}`);
  }
  const ok = errors.length === 0;
  emit({ ok, errors, schemaVersion, schema: schemaUrl(dirName) }, ok ? 0 : 1);
}

function main(argv) {
  if (argv.length === 1 && argv[0] === "--versions") {
    const versions = bundledVersions();
    const newest = versions[versions.length - 1];
    emit(
      {
        versions,
        newest,
        schema: schemaUrl(`v${newest}`),
        devPreview: fs.existsSync(path.join(teamsSchemaDir, "vDevPreview", SCHEMA_FILE)),
      },
      0
    );
    return;
  }
  if (argv.length !== 1 || argv[0].startsWith("-")) {
    fail2("usage: node validate_manifest.js manifest.json | --versions");
    return;
  }
  validate(argv[0]).catch((e) => fail2(`unexpected error: ${e && e.stack ? e.stack : e}`));
}

main(process.argv.slice(2));
