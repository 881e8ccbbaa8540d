'use strict';
/**
 * Lets `node` run the benchmark's TypeScript directly: .ts files are compiled with @swc/core (a dev dependency)
 * when they are required. Types are not checked here; `npm run typecheck` covers bench/ too.
 *
 *   node -r ./bench/ts-register.cjs bench/persistence.ts --scenario confirms
 *
 * The broker under test is not loaded through this hook: the benchmark runs the compiled dist/main.js.
 */
const swc = require('@swc/core');

const swcOptions = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
};

require.extensions['.ts'] = function loadTypeScript(module, filename) {
  const { code } = swc.transformFileSync(filename, { ...swcOptions, filename });
  module._compile(code, filename);
};
