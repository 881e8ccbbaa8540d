// The durability-pg jest project: child brokers run on PostgreSQL (conformance-tests/support/pg-store.ts).
process.env.LEVERET_TEST_STORE = 'postgres';
