/**
 * The crash soak's short form (the long one: npm run crash-soak -- --rounds 1000; conformance-tests/crash-soak/).
 * Five rounds on one data directory: confirmed publishes from three connections to a FIFO queue, a queue with
 * per-message TTL, a priority queue and an x-delayed-message exchange, consumers acking some and holding some
 * unacked, kill -9 at a random moment, sometimes again during the restart, then every queue taken and checked.
 *
 * CRASH_SOAK_SEED reproduces a run (the seed is printed).
 */
import { closeAll } from '../support/broker';
import { killChildBrokers, makeDataDir, removeTempDirs } from '../support/child-broker';
import { FAILURES } from '../crash-soak/ledger';
import { formatCounts, runSoak } from '../crash-soak/soak';

const ROUNDS = 5;
const SEED = process.env.CRASH_SOAK_SEED !== undefined && process.env.CRASH_SOAK_SEED !== '' ? Number(process.env.CRASH_SOAK_SEED) >>> 0 : Date.now() >>> 0;

jest.setTimeout(120_000);

afterAll(async () => {
  await closeAll();
  await killChildBrokers();
  removeTempDirs();
});

test(`${ROUNDS} crash-soak rounds: nothing confirmed lost, duplicated or out of order, no durable ack undone, every delivered message back redelivered`, async () => {
  const lines: string[] = [];
  const result = await runSoak({ dataDir: makeDataDir('leveret-crash-soak-'), rounds: ROUNDS, seed: SEED, maxKillMs: 1500, log: (l) => lines.push(l) });
  console.log(`crash-soak (CRASH_SOAK_SEED=${SEED}): ${formatCounts(result.totals)}\n${lines.join('\n')}`);
  expect(result.rounds).toBe(ROUNDS);
  expect(result.problems).toEqual([]);
  for (const k of FAILURES) expect([k, result.totals[k]]).toEqual([k, 0]);
  // The rounds exercised what they check: confirms, deliveries held unacked at the kill, and messages back.
  expect(result.totals.confirmed).toBeGreaterThan(0);
  expect(result.totals.heldUnacked).toBeGreaterThan(0);
  expect(result.totals.recovered).toBeGreaterThan(0);
});
