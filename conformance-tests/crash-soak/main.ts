/**
 * `npm run crash-soak -- --rounds N`: the crash soak's long form (soak.ts says what a round does).
 *
 * Progress is kept in a state file (default .tmp/crash-soak/progress.json) next to the data directory the rounds
 * share (default .tmp/crash-soak/data): the same command run again goes on from the last finished round, with the
 * same seed, until N rounds are done, and the totals cover every round. --fresh starts over.
 *
 * Exit status: 0 when every round so far found nothing wrong, 1 otherwise, 2 for bad usage, 130 when interrupted
 * (the first Ctrl-C finishes the round under way; a second one exits at once). Child brokers are killed by pid
 * whenever this process exits.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { killChildBrokersNow } from '../support/child-broker';
import { addFigures, zeroFigures, type Figures } from './ledger';
import { formatCounts, runSoak, soakFailed } from './soak';

const ROOT = join(__dirname, '..', '..');
const USAGE = `usage: npm run crash-soak -- --rounds N [--minutes M] [--seed S] [--max-kill-ms MS] [--dir DIR] [--fresh]

  --rounds N        rounds in all (a rerun goes on from the last finished round until N are done)
  --minutes M       stop after the round that ends past M minutes (this invocation); rerun to go on
  --seed S          seed of a fresh run (default: from the clock); round r uses S + r
  --max-kill-ms MS  the kill comes 100 ms to MS into a round's load (default 2500)
  --dir DIR         where the data directory and progress.json live (default .tmp/crash-soak)
  --fresh           forget earlier progress and data, start at round 0
`;

interface Progress {
  seed: number;
  roundsDone: number;
  durationMs: number;
  totals: Figures;
  problems: string[];
}

class UsageError extends Error {}

function parse(argv: string[]): { rounds: number; minutes?: number; seed?: number; maxKillMs?: number; dir: string; fresh: boolean } {
  let rounds: number | undefined;
  let minutes: number | undefined;
  let seed: number | undefined;
  let maxKillMs: number | undefined;
  let dir = join(ROOT, '.tmp', 'crash-soak');
  let fresh = false;
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') rounds = Math.floor(num(a, argv[++i]));
    else if (a === '--minutes') minutes = num(a, argv[++i]);
    else if (a === '--seed') seed = num(a, argv[++i]) >>> 0;
    else if (a === '--max-kill-ms') maxKillMs = Math.max(200, num(a, argv[++i]));
    else if (a === '--dir') dir = resolve(argv[++i] ?? '');
    else if (a === '--fresh') fresh = true;
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (rounds === undefined || rounds < 1) throw new UsageError('--rounds N (N >= 1) is required');
  return { rounds, minutes, seed, maxKillMs, dir, fresh };
}

async function main(): Promise<number> {
  let o: ReturnType<typeof parse>;
  try {
    o = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`crash-soak: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const dataDir = join(o.dir, 'data');
  const stateFile = join(o.dir, 'progress.json');
  if (o.fresh) rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  let progress: Progress = existsSync(stateFile)
    ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Progress)
    : { seed: o.seed ?? Date.now() >>> 0, roundsDone: 0, durationMs: 0, totals: zeroFigures(), problems: [] };
  if (o.seed !== undefined && o.seed !== progress.seed) {
    process.stderr.write(`crash-soak: ${stateFile} holds a run with seed ${progress.seed}; add --fresh to start one with seed ${o.seed}\n`);
    return 2;
  }
  const save = (): void => {
    mkdirSync(dirname(stateFile), { recursive: true });
    writeFileSync(stateFile, `${JSON.stringify(progress, null, 2)}\n`);
  };
  save();

  let stopping = false;
  process.on('SIGINT', () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write('\ninterrupted: finishing this round (Ctrl-C again to quit at once)...\n');
  });
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(signal === 'SIGTERM' ? 143 : 129));

  const todo = o.rounds - progress.roundsDone;
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  if (todo > 0) {
    log(`crash-soak: rounds ${progress.roundsDone}..${o.rounds - 1} of ${o.rounds}, seed ${progress.seed}, data ${dataDir}`);
    const result = await runSoak({
      dataDir,
      rounds: todo,
      firstRound: progress.roundsDone,
      seed: progress.seed,
      deadline: o.minutes !== undefined ? Date.now() + o.minutes * 60_000 : undefined,
      maxKillMs: o.maxKillMs,
      log,
      stop: () => stopping,
      onRound: (r) => {
        const totals = { ...progress.totals };
        addFigures(totals, r.figures);
        progress = {
          ...progress,
          roundsDone: r.round + 1,
          durationMs: progress.durationMs + r.durationMs,
          totals,
          problems: [...progress.problems, ...r.problems.map((p) => `round ${r.round}: ${p}`)].slice(0, 100),
        };
        save();
      },
    });
    if (result.problems.length > 0) {
      progress = { ...progress, problems: [...progress.problems, ...result.problems.filter((p) => !progress.problems.includes(p))].slice(0, 100) };
      save();
    }
  }
  const t = progress.totals;
  const minutes = progress.durationMs / 60_000;
  log(
    `crash-soak: ${progress.roundsDone} of ${o.rounds} rounds (seed ${progress.seed}) in ${minutes.toFixed(1)} min ` +
      `(${(progress.roundsDone / Math.max(minutes, 1e-9)).toFixed(1)} rounds/min): published ${t.published}, confirmed ${t.confirmed}, ` +
      `delivered ${t.delivered}, held unacked at the kill ${t.heldUnacked}, back ${t.recovered}; ${formatCounts(t)}`,
  );
  for (const p of progress.problems) log(`  ${p}`);
  if (progress.roundsDone < o.rounds) log(`crash-soak: run the same command again to go on (state in ${stateFile})`);
  const failed = soakFailed({ rounds: progress.roundsDone, totals: t, problems: progress.problems, durationMs: progress.durationMs });
  if (failed) return 1;
  return stopping ? 130 : 0;
}

process.on('exit', () => killChildBrokersNow());
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`crash-soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
