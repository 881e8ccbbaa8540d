'use strict';
// Two projects: unit tests live next to the code; conformance tests talk to a broker over TCP.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/spec/**/*.test.ts'],
    },
    {
      displayName: 'conformance',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/conformance-tests/**/*.test.ts'],
      testTimeout: 20000,
    },
  ],
};
