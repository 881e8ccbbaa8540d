'use strict';
// Projects: unit tests live next to the code; conformance tests talk to a broker over TCP; extensions test
// Leveret-only features against an in-process Leveret; durability restarts and kills child brokers; interop runs
// other clients (pika, amqp-tools) and needs Debian packages, so it only exists with LEVERET_INTEROP=1
// (npm run test:interop).
const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.tmp/'],
  // A SqliteStore's writer thread, and a PostgresStore's worker, run outside jest's transform: these give them a
  // TypeScript require hook.
  setupFiles: ['<rootDir>/src/store/sqlite/test-support/writer-hook.ts', '<rootDir>/src/store/postgres/test-support/worker-hook.ts'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/spec/**/*.test.ts'],
      // light-my-request (fastify's inject) requires the ESM-only 'cookie' package, which Jest on Node 20 cannot load.
      moduleNameMapper: { '^cookie$': '<rootDir>/src/management/test-support/cookie.cjs' },
    },
    {
      ...common,
      displayName: 'conformance',
      testMatch: ['<rootDir>/conformance-tests/*.test.ts'],
      testTimeout: 20000,
    },
    // Leveret's own extensions (deadline expiry, consumer timeout, classic x-delivery-limit, delayed messages,
    // de-duplication): in-process Leveret only. run-against-rabbitmq.sh selects only `conformance`, so RabbitMQ never
    // sees these.
    {
      ...common,
      displayName: 'extensions',
      testMatch: ['<rootDir>/conformance-tests/extensions/*.test.ts'],
      testTimeout: 20000,
    },
    // Restarts and kill -9 of child brokers on temp data dirs: Leveret only, never aimed at AMQP_URL.
    {
      ...common,
      displayName: 'durability',
      testMatch: ['<rootDir>/conformance-tests/durability/*.test.ts'],
      testTimeout: 60000,
    },
    // The same restarts and kills with every child broker on PostgreSQL (--store, a private cluster per file): the
    // files that test what a store keeps, not SQLite's own file handling (locking, fault injection, a poisoned file).
    {
      ...common,
      displayName: 'durability-pg',
      testMatch: ['<rootDir>/conformance-tests/durability/{crash,entities,messages,queue-features,redrive-crash,crash-soak}.test.ts'],
      setupFiles: [...common.setupFiles, '<rootDir>/conformance-tests/support/on-postgres.cjs'],
      setupFilesAfterEnv: ['<rootDir>/conformance-tests/support/on-postgres-after-env.ts'],
      testTimeout: 60000,
    },
    // The fuzzer's short form (issue 11): a child broker under 10,000 mutated frames in rich mode, with a restart.
    {
      ...common,
      displayName: 'fuzz',
      testMatch: ['<rootDir>/conformance-tests/fuzz/*.test.ts'],
      testTimeout: 180000,
    },
    // High availability (issue 17): the ha-test harness's pieces and its short form (the long one: npm run ha-test).
    {
      ...common,
      displayName: 'ha',
      testMatch: ['<rootDir>/conformance-tests/ha/*.test.ts'],
      testTimeout: 300000,
    },
    // The web admin UI in a real browser (Debian's chromium, driven by playwright-core): admin-ui/e2e.
    {
      ...common,
      displayName: 'ui',
      testMatch: ['<rootDir>/admin-ui/e2e/*.test.ts'],
      testTimeout: 60000,
    },
    ...(process.env.LEVERET_INTEROP === '1'
      ? [
          {
            ...common,
            displayName: 'interop',
            testMatch: ['<rootDir>/conformance-tests/interop/*.test.ts'],
            testTimeout: 30000,
          },
        ]
      : []),
  ],
};
