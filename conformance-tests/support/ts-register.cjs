'use strict';
/**
 * A require hook that compiles .ts files with @swc/core as they are loaded, so a child process can run the broker
 * from its sources without a build step:
 *
 *   node -r ./conformance-tests/support/ts-register.cjs src/main.ts --port 0 --data-dir /tmp/x
 *
 * Same options as the jest transform (jest.config.cjs): TypeScript syntax, ES2022, CommonJS. Type errors are not
 * checked here (npm run typecheck does that); declarations and .d.ts files are never required at run time.
 * Source maps are inlined so stack traces in the child's logs point at .ts lines.
 */
const swc = require('@swc/core');

const options = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = swc.transformFileSync(filename, { ...options, filename });
  module._compile(code, filename);
};

// Inline source maps are only honoured when Node is told to read them.
if (typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true);
