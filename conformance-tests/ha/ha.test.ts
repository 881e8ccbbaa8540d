/**
 * The ha-test's short form (the long one: npm run ha-test; README.md in this folder). A few rounds of each fault
 * with steady confirmed traffic, then the count:
 *  - one node on SQLite under kill -9 and SIGSTOP, restarted by the supervisor on its data directory;
 *  - the same with the harness's sabotage (every restart on an empty data directory): the run must FAIL with
 *    confirmed messages lost, or the harness could not see a loss;
 *  - two nodes on one private PostgreSQL: kill -9, SIGSTOP and a partition of the active node, a PostgreSQL
 *    restart.
 * HA_TEST_SEED reproduces a run (the seed is printed). A failing run keeps its directory (ledgers, node logs,
 * summary.json) and prints where it is.
 */
import { rmSync } from 'node:fs';
import { formatTable, type HaSummary } from './report';
import { defaultOptions, emergencyCleanup, runHa, type HaOptions } from './run';

const SEED = process.env.HA_TEST_SEED !== undefined && process.env.HA_TEST_SEED !== '' ? Number(process.env.HA_TEST_SEED) >>> 0 : Date.now() >>> 0;

jest.setTimeout(240_000);

afterAll(() => emergencyCleanup());

async function run(change: Partial<HaOptions>): Promise<HaSummary> {
  const lines: string[] = [];
  const o: HaOptions = {
    ...defaultOptions(),
    seed: SEED,
    gapMinMs: 500,
    gapMaxMs: 1500,
    settleTimeoutMs: 60_000,
    failoverTimeoutMs: 30_000,
    drainTimeoutMs: 60_000,
    log: (line) => lines.push(line),
    ...change,
  };
  const summary = await runHa(o);
  console.log(`ha-test (HA_TEST_SEED=${SEED})\n${lines.join('\n')}\n${formatTable(summary)}`);
  return summary;
}

function expectClean(s: HaSummary): void {
  expect(s.problems).toEqual([]);
  expect(s.counts).toMatchObject({ lost: 0, unexpected: 0, missingRedelivered: 0, unconfirmedAtEnd: 0, returned: 0 });
  expect(s.leftInQueues).toBe(0);
  expect(s.counts.duplicates).toBeLessThanOrEqual(s.duplicateBound);
  expect(s.ok).toBe(true);
}

test('one SQLite node: 3 kill -9 and 2 SIGSTOP under confirmed traffic with a backlog; nothing confirmed lost, no duplicate without the flag', async () => {
  const s = await run({ store: 'sqlite', nodes: 1, counts: { kill: 3, pause: 2, partition: 0, 'pg-restart': 0 }, maxPauseMs: 3000, consumerRate: 60 });
  expectClean(s);
  expect(s.failover.kill.count).toBe(3);
  expect(s.failover.pause.count).toBe(2);
  // The faults found deliveries unacked (the consumers hold up to a prefetch): the flag rule was exercised.
  expect(s.counts.redeliveries).toBeGreaterThan(0);
  rmSync(s.dir, { recursive: true, force: true });
});

test('the harness sees a loss: a node restarted on an empty data directory fails the run with confirmed messages lost', async () => {
  // Consumers far slower than the publishers, and 2-3 s of traffic before the kill: a backlog of hundreds to lose.
  const s = await run({
    store: 'sqlite',
    nodes: 1,
    counts: { kill: 1, pause: 0, partition: 0, 'pg-restart': 0 },
    consumerRate: 10,
    gapMinMs: 2000,
    gapMaxMs: 3000,
    sabotage: 'wipe-data',
  });
  expect(s.ok).toBe(false);
  expect(s.counts.lost).toBeGreaterThan(100);
  expect(s.problems.join('\n')).toMatch(/confirmed messages lost/);
  rmSync(s.dir, { recursive: true, force: true });
});

test('two nodes on PostgreSQL: 3 kill -9, 2 SIGSTOP and 2 partitions of the active node, 1 PostgreSQL restart; nothing confirmed lost, failover within the bounds', async () => {
  const s = await run({ store: 'postgres', nodes: 2, counts: { kill: 3, pause: 2, partition: 2, 'pg-restart': 1 }, consumerRate: 60 });
  expectClean(s);
  expect(s.failover.kill.count).toBe(3);
  expect(s.failover.partition.count).toBe(2);
  // The first election, then one takeover after every kill, pause and partition of the active node.
  expect(s.takeovers.count).toBeGreaterThanOrEqual(8);
  rmSync(s.dir, { recursive: true, force: true });
});
