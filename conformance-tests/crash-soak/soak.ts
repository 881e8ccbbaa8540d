/**
 * The crash soak: rounds of load, kill -9, restart and check on one data directory that lives across rounds.
 *
 * A round, on the broker left running by the round before:
 *  1. load (workload.ts) until a kill -9 at a random moment (seeded: round r uses seed + r);
 *  2. restart on the same directory; sometimes (30 %, at most twice a round) the new broker is killed -9 again at a
 *     random 0-2.5 s after spawn: while Node loads the sources, while the store opens and marks what an unclean
 *     stop leaves, while queues load, or just after it listens; then a restart that is let run;
 *  3. take everything from the soak's queues and check it against the round's Ledger (ledger.ts);
 *  4. make those takes durable (a barrier: a later confirm), so the next round starts from empty queues.
 * The run stops after `rounds` rounds or at the first round that ends past `deadline`, then stops the broker with
 * SIGTERM. Every child is started through support/child-broker.ts and killed by its pid.
 */
import { barrier } from '../support/durability';
import { channel, closeAll, connect, delay } from '../support/broker';
import { startChildBroker, type ChildBroker } from '../support/child-broker';
import { Rng } from '../../src/protocol/test-support/random';
import { addFigures, failureCount, Ledger, zeroFigures, type Figures } from './ledger';
import { loadUntilKilled, takeEverything } from './workload';

export interface SoakOptions {
  dataDir: string;
  /** Rounds to run in this call. */
  rounds: number;
  /** Number of the first round (a resumed run goes on counting; round r uses seed + r). */
  firstRound?: number;
  seed: number;
  /** Ms since the epoch: no round starts after it. */
  deadline?: number;
  /** The kill comes 100 ms to this many ms into the load (default 2500). */
  maxKillMs?: number;
  log: (line: string) => void;
  /** Told after every round (to save progress). */
  onRound?: (r: RoundResult) => void;
  /** Checked between rounds: stop when it says so. */
  stop?: () => boolean;
}

export interface RoundResult {
  round: number;
  figures: Figures;
  problems: string[];
  durationMs: number;
}

export interface SoakResult {
  rounds: number;
  totals: Figures;
  problems: string[];
  durationMs: number;
}

const START_TIMEOUT_MS = 60_000;
const STARTUP_KILL_CHANCE = 0.3;
const MAX_STARTUP_KILLS = 2;
const MAX_STARTUP_KILL_MS = 2500;
/** support/durability.ts's barrier() publishes there: emptied each round so it does not grow. */
const BARRIER_QUEUE = 'durability.barrier';

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const began = Date.now();
  const first = o.firstRound ?? 0;
  const totals = zeroFigures();
  const problems: string[] = [];
  let broker = await start(o.dataDir);
  let rounds = 0;
  try {
    // Whatever an earlier, interrupted run left in the queues belongs to no ledger.
    await takeEverything(broker.url);
    await settle(broker.url);
    for (let r = first; r < first + o.rounds; r++) {
      if (o.stop?.() === true || (o.deadline !== undefined && Date.now() > o.deadline)) break;
      const t0 = Date.now();
      const rng = new Rng((o.seed + r) | 0);
      const ledger = new Ledger(r);
      const killAfterMs = 100 + rng.int(Math.max(1, (o.maxKillMs ?? 2500) - 100));
      const killed = broker;
      await loadUntilKilled(broker.url, ledger, rng, killAfterMs, () => killed.kill9());
      await closeAll();
      const startupKills: string[] = [];
      while (startupKills.length < MAX_STARTUP_KILLS && rng.next() < STARTUP_KILL_CHANCE) {
        startupKills.push(await startAndKill(o.dataDir, rng.int(MAX_STARTUP_KILL_MS)));
      }
      broker = await start(o.dataDir);
      const back = await takeEverything(broker.url);
      const checked = ledger.check(back);
      await settle(broker.url);
      rounds++;
      const f = checked.figures;
      addFigures(totals, f);
      for (const p of checked.problems) if (problems.length < 50) problems.push(`round ${r}: ${p}`);
      const result: RoundResult = { round: r, figures: f, problems: checked.problems, durationMs: Date.now() - t0 };
      o.log(
        `round ${r} (seed ${o.seed}): kill at ${killAfterMs} ms` +
          (startupKills.length > 0 ? `, killed in start-up at ${startupKills.join(', ')}` : '') +
          `; published ${f.published}, confirmed ${f.confirmed}, delivered ${f.delivered}, acked ${f.acked} (durably ${f.durablyAcked}), ` +
          `held unacked ${f.heldUnacked}; back ${f.recovered} (ack not durable ${f.ackUncommittedBack}, unconfirmed ${f.unconfirmedBack}); ` +
          `${formatCounts(f)}; ${result.durationMs} ms`,
      );
      for (const p of checked.problems) o.log(`  ${p}`);
      o.onRound?.(result);
    }
  } finally {
    await closeAll();
    const code = await broker.stop('SIGTERM', 20_000).catch(() => -1);
    if (code !== 0) problems.push(`the last broker did not stop cleanly on SIGTERM (exit ${code})`);
  }
  return { rounds, totals, problems, durationMs: Date.now() - began };
}

export function formatCounts(f: Figures): string {
  return (
    `lost ${f.lost}, duplicated ${f.duplicated}, out of order ${f.outOfOrder}, resurrected ${f.resurrected}, ` +
    `missing redelivered ${f.missingRedelivered}, unknown ${f.unknown}`
  );
}

export function soakFailed(r: SoakResult): boolean {
  return failureCount(r.totals) > 0 || r.problems.length > 0;
}

function start(dataDir: string): Promise<ChildBroker> {
  return startChildBroker({ dataDir, timeoutMs: START_TIMEOUT_MS });
}

/**
 * Spawns a broker and SIGKILLs it `atMs` after the spawn, whatever it is doing then. Returns what it was doing
 * (for the round's log line). A broker that exits on its own before the kill fails the round.
 */
async function startAndKill(dataDir: string, atMs: number): Promise<string> {
  let killedPid = 0;
  let fired: Promise<void> = Promise.resolve();
  const starting = startChildBroker({
    dataDir,
    timeoutMs: START_TIMEOUT_MS,
    onSpawn: (pid) => {
      fired = delay(atMs).then(() => {
        try {
          process.kill(pid, 'SIGKILL');
          killedPid = pid;
        } catch {
          // gone already: the error below says why
        }
      });
    },
  });
  let b: ChildBroker | undefined;
  try {
    b = await starting;
  } catch (err) {
    await fired;
    if (killedPid === 0) throw err;
    return `${atMs} ms (starting)`;
  }
  await fired;
  await b.kill9();
  return `${atMs} ms (listening)`;
}

/** Makes everything before it durable, so the next kill cannot bring back what a check took. */
async function settle(url: string): Promise<void> {
  const conn = await connect(url);
  try {
    const ch = await channel(conn);
    await ch.assertQueue(BARRIER_QUEUE, { durable: true });
    await ch.purgeQueue(BARRIER_QUEUE);
  } finally {
    await conn.close();
  }
  await barrier(url);
}
