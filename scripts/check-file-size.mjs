#!/usr/bin/env node
// Fails when a hand-written source file is over the size limit (issue 13: "no hand-written file over 500 lines";
// DESIGN.md: split by role before a file grows past that). Run by `npm run lint:size` as part of `npm test`.
//
//   node scripts/check-file-size.mjs [--max N]
//
// Looks at *.ts, *.tsx, *.mjs, *.cjs and *.js under the folders below. Skips node_modules/, dist/,
// src/protocol/generated/ and any file whose first lines carry a generated do-not-edit banner.
// Lines are counted as `wc -l` counts them. Prints every file over the limit, with its count, and exits 1.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['src', 'conformance-tests', 'bench', 'spec', 'admin-ui'];
const EXTENSIONS = /\.(?:ts|tsx|mjs|cjs|js)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist']);
const SKIP_PATHS = new Set(['src/protocol/generated']);
/** A banner such as "Generated from spec/amqp0-9-1.json by spec/codegen.mjs. DO NOT EDIT." in a leading comment. */
const GENERATED_BANNER = /^\s*(?:\/\/|\/\*|\*).*\bgenerated\b.*\bdo not edit\b/i;
const BANNER_LINES = 5;

function parseMax(argv) {
  const at = argv.indexOf('--max');
  if (at === -1) return 500;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`check-file-size: --max needs a positive integer, got ${argv[at + 1] ?? 'nothing'}`);
    process.exit(2);
  }
  return value;
}

function* sourceFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return;
    throw err;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path).split(sep).join('/');
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !SKIP_PATHS.has(rel)) yield* sourceFiles(path);
    } else if (entry.isFile() && EXTENSIONS.test(entry.name)) {
      yield { path, rel };
    }
  }
}

/** Newline count, as `wc -l` gives it. */
function countLines(text) {
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

function isGenerated(text) {
  return text.split('\n', BANNER_LINES).some((line) => GENERATED_BANNER.test(line));
}

const max = parseMax(process.argv.slice(2));
const tooLong = [];
let checked = 0;
for (const folder of FOLDERS) {
  const dir = join(ROOT, folder);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
  for (const { path, rel } of sourceFiles(dir)) {
    const text = readFileSync(path, 'utf8');
    if (isGenerated(text)) continue;
    checked++;
    const lines = countLines(text);
    if (lines > max) tooLong.push({ rel, lines });
  }
}

if (tooLong.length > 0) {
  tooLong.sort((a, b) => b.lines - a.lines || a.rel.localeCompare(b.rel));
  console.error(`check-file-size: ${tooLong.length} hand-written file(s) over ${max} lines; split them by role:`);
  for (const { rel, lines } of tooLong) console.error(`  ${rel}: ${lines} lines`);
  process.exit(1);
}
console.log(`check-file-size: ${checked} hand-written files, none over ${max} lines`);
