/**
 * The fuzzer's short form for CI (issue 11, "No client can take the broker down"): 10,000 mutated frames in rich
 * mode against a child broker on a temp data directory, with the stop/start phase, while the well-behaved amqplib
 * client publishes with confirms and consumes. The broker must not crash (nor at a restart), must answer a fresh
 * connection and GET /api/overview, and the good client must have every confirmed message delivered. Oracle
 * connections send one bad frame each whose answer is known (oracle.ts): each must get that close and code.
 *
 * The seed is fixed so that CI is repeatable; FUZZ_SEED and FUZZ_FRAMES change it for a longer or different run
 * (`npm run fuzz` is the full tool), FUZZ_SOURCES runs the broker from another checkout. On failure the report,
 * with the crash file's path, is printed.
 */
import { defaultOptions } from './options';
import { formatReport, oracleTotals } from './report';
import { runFuzz } from './run';

const SEED = Number(process.env.FUZZ_SEED ?? 11);
/** Another checkout to run the broker from (e.g. an older commit, to see the test fail for the right reason). */
const SOURCES = process.env.FUZZ_SOURCES;
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 10_000);
/** The run caps its own attack time at 90 s; starting, two restarts and the drain come on top. */
const TIMEOUT_MS = 170_000;

test(`${FRAMES} mutated frames in rich mode (seed ${SEED}) leave the broker alive and lose nothing confirmed`, async () => {
  const report = await runFuzz(
    { ...defaultOptions(), seed: SEED, frames: FRAMES, rich: true, concurrency: 24, durationMs: 90_000, progress: false, ...(SOURCES ? { sources: SOURCES } : {}) },
    () => undefined,
  );
  const verdict = {
    crashes: report.crashes.map((c) => c.signature),
    lost: report.good?.lost,
    failures: report.failures,
  };
  if (report.failures.length > 0) process.stdout.write(`${formatReport(report)}\n`);
  expect(verdict).toEqual({ crashes: [], lost: 0, failures: [] });
  expect(report.stats.mutated).toBeGreaterThanOrEqual(FRAMES);
  expect(report.good?.confirmed ?? 0).toBeGreaterThan(0);
  // The oracle judged bad frames of every kind (a mismatch is in report.failures above).
  expect(oracleTotals(report.stats).ok).toBeGreaterThan(50);
}, TIMEOUT_MS);
