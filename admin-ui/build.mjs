#!/usr/bin/env node
// Builds the web admin UI into dist/admin-ui (or --out DIR): esbuild bundles src/main.tsx as ES modules, one chunk per
// page (loaded when the page is first opened), with content-hashed names under assets/; index.html names them; every
// text file gets a .br and a .gz sibling, which the broker serves as they are (src/management/ui.ts). Prints each
// file's size and the gzipped JavaScript the first page loads (the budget is 80 KB, issue 14).
//
//   node admin-ui/build.mjs [--out DIR] [--quiet]
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..');
const COMPRESSIBLE = /\.(?:js|css|html|svg|json|map)$/;
/** The most gzipped JavaScript the first page may load, in bytes (issue 14). */
export const FIRST_PAGE_JS_BUDGET = 80 * 1024;

/** Builds the UI into outDir (emptied first); returns what it wrote and the first page's gzipped JavaScript. */
export async function buildUi({ outDir = join(ROOT, 'dist', 'admin-ui'), quiet = false } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: { main: join(HERE, 'src', 'main.tsx') },
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['chrome111', 'firefox113', 'safari16.4'],
    minify: true,
    sourcemap: false,
    outdir: assets,
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.svg': 'file' },
    metafile: true,
    legalComments: 'none',
    logLevel: quiet ? 'silent' : 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = result.metafile.outputs;
  // The main entry by its source: the pages' chunks (dynamic imports) name an entryPoint too, in no fixed order.
  const entry = Object.keys(outputs).find((p) => outputs[p].entryPoint?.replace(/\\/g, '/').endsWith('admin-ui/src/main.tsx') && p.endsWith('.js'));
  if (entry === undefined) throw new Error('esbuild wrote no entry script');
  const css = outputs[entry].cssBundle;
  const favicon = writeHashedCopy(join(HERE, 'src', 'favicon.svg'), assets);
  // The chunks the entry imports statically, announced up front so the browser fetches them alongside it.
  const preloads = outputs[entry].imports
    .filter((i) => i.kind === 'import-statement')
    .map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}">`)
    .join('\n');
  const html = readFileSync(join(HERE, 'src', 'index.html'), 'utf8')
    .replace('%PRELOAD%', preloads)
    .replace('%SCRIPT%', `/assets/${basename(entry)}`)
    .replace('%STYLE%', css === undefined ? '' : `/assets/${basename(css)}`)
    .replace('%ICON%', `/assets/${favicon}`);
  writeFileSync(join(outDir, 'index.html'), html);

  const sizes = compressAll(outDir);
  // What the first page loads: the entry and the chunks it imports statically (page chunks are dynamic imports).
  const firstPage = new Set();
  const visit = (path) => {
    if (firstPage.has(path)) return;
    firstPage.add(path);
    for (const imported of outputs[path].imports) if (imported.kind === 'import-statement') visit(imported.path);
  };
  visit(entry);
  const firstPageGzip = [...firstPage].reduce((sum, p) => sum + sizes.get(join(ROOT, p)).gzip, 0);
  if (!quiet) {
    for (const [path, size] of [...sizes].sort((a, b) => b[1].gzip - a[1].gzip)) {
      console.log(`${relative(outDir, path).padEnd(40)} ${String(size.raw).padStart(8)} B  ${String(size.gzip).padStart(7)} B gzip`);
    }
    console.log(`first page JavaScript: ${firstPageGzip} B gzip (budget ${FIRST_PAGE_JS_BUDGET} B) in ${firstPage.size} file(s)`);
  }
  if (firstPageGzip > FIRST_PAGE_JS_BUDGET) {
    throw new Error(`the first page loads ${firstPageGzip} B of gzipped JavaScript, over the ${FIRST_PAGE_JS_BUDGET} B budget`);
  }
  return { outDir, sizes, firstPageGzip };
}

/** Copies a file into dir as <name>-<hash><ext>; returns the new name. */
function writeHashedCopy(path, dir) {
  const body = readFileSync(path);
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 8).toUpperCase();
  const name = basename(path).replace(/(\.[^.]+)$/, `-${hash}$1`);
  writeFileSync(join(dir, name), body);
  return name;
}

/** Writes .gz and .br beside every text file; returns raw and gzipped sizes by path. */
function compressAll(dir) {
  const sizes = new Map();
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (COMPRESSIBLE.test(entry.name)) {
        const body = readFileSync(path);
        const gzip = gzipSync(body, { level: 9 });
        const brotli = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
        writeFileSync(`${path}.gz`, gzip);
        writeFileSync(`${path}.br`, brotli);
        sizes.set(path, { raw: body.length, gzip: gzip.length, brotli: brotli.length });
      }
    }
  };
  walk(dir);
  return sizes;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--out');
  const outDir = at === -1 ? undefined : process.argv[at + 1];
  buildUi({ ...(outDir === undefined ? {} : { outDir }), quiet: process.argv.includes('--quiet') }).catch((err) => {
    console.error(err.message ?? err);
    process.exit(1);
  });
}
