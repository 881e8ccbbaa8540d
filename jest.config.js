'use strict';
// Two projects: unit tests live next to the code; conformance tests talk to a broker over TCP.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};

module.exports = {
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.tmp/'],
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
      testMatch: ['<rootDir>/conformance-tests/*.test.ts'],
      testTimeout: 20000,
    },
    // Other clients (pika, amqp-tools) need Debian packages: `npm run test:interop`, which .ci/run installs for.
    ...(process.env.LEVERET_INTEROP === '1'
      ? [
          {
            displayName: 'interop',
            testEnvironment: 'node',
            transform,
            testMatch: ['<rootDir>/conformance-tests/interop/*.test.ts'],
            testTimeout: 30000,
          },
        ]
      : []),
  ],
};
