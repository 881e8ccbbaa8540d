'use strict';
// Runs a TypeScript file of this directory under node, transpiled with swc as jest does (no build step).
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
