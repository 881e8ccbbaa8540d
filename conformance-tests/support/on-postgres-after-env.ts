// The durability-pg jest project: each test file stops the PostgreSQL cluster its child brokers used (pg-store.ts).
// A process 'exit' hook is not enough: jest's workers outlive a test file, and were seen to leave clusters running.
import { afterAll } from '@jest/globals';
import { stopPostgres } from './pg-store';

afterAll(async () => {
  await stopPostgres();
});
