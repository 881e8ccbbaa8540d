'use strict';
// A require hook that compiles .ts files with swc, as jest does: loaded by the SQLite writer thread when the store
// runs from its TypeScript sources under jest (writer-hook.ts), and usable to run a TypeScript file of this
// directory under plain node (no build step):
//   node -e "require('./src/store/sqlite/test-support/ts-hook.cjs')('./throughput.ts')"
const path = require('node:path');
const swc = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformFileSync(filename, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

module.exports = (file) => require(path.resolve(__dirname, file));
