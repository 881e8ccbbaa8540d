#!/usr/bin/env node
// Generates src/protocol/generated/amqp.ts from spec/amqp0-9-1.json.
//
//   node spec/codegen.mjs           write the file
//   node spec/codegen.mjs --check   exit 1 if the committed file differs from what would be generated
//
// Plain Node, no dependencies. Output is a pure function of the spec file (no timestamps, JSON order preserved).
// The generator itself is in spec/codegen/ (spec.mjs loads and validates the spec, methods.mjs and properties.mjs
// emit the codec, generate.mjs assembles the file); this file is its command line.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './codegen/generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const specPath = join(here, 'amqp0-9-1.json');
const outPath = join(root, 'src', 'protocol', 'generated', 'amqp.ts');

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

const check = process.argv.includes('--check');
const out = generate(specPath);
const rel = relative(root, outPath);
if (check) {
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : null;
  if (current !== out) {
    console.error(
      current === null
        ? `${rel} is missing. Run \`npm run gen:protocol\` (node spec/codegen.mjs) and commit the result.`
        : `${rel} is stale: it differs from what spec/codegen.mjs generates from spec/amqp0-9-1.json.\n` +
            'Run `npm run gen:protocol` (node spec/codegen.mjs) and commit the result; do not edit the file by hand.',
    );
    process.exit(1);
  }
  console.log(`${rel} is up to date.`);
} else {
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, out);
  console.log(`wrote ${rel}`);
}
