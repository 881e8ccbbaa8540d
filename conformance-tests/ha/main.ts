/**
 * `npm run ha-test -- [flags]`: the Jepsen-style high-availability test (issue 17, "Proving it"). run.ts says what
 * a run does; README.md in this folder says what each number means.
 *
 * Exit status: 0 when the run passed, 1 when it found something wrong (or could not run), 2 for bad usage, 130
 * after a second Ctrl-C (the first one ends the fault loop and goes on to the finish and the count). Every node
 * and the PostgreSQL cluster are stopped, by pid, whenever this process exits.
 */
import { FAULT_KINDS, type FaultKind } from './faults';
import { formatTable } from './report';
import { defaultOptions, emergencyCleanup, runHa, type HaOptions } from './run';

const USAGE = `usage: npm run ha-test -- [flags]

  --store postgres|sqlite   postgres (default): N nodes on one private PostgreSQL, each through its own forwarder;
                            sqlite: one node on its own data directory (kill and pause only)
  --nodes N                 Leveret nodes (default 2; sqlite: 1)
  --kills N                 kill -9 of the active node (default 50)
  --pauses N                SIGSTOP of the active node (default 20)
  --partitions N            the active node cut from PostgreSQL (default 20; sqlite: 0)
  --pg-restarts N           PostgreSQL restarts, fast or immediate (default 5; sqlite: 0)
  --seed S                  order of the faults and their details (default: from the clock)
  --publishers N            publisher connections (default 3)
  --rate R                  messages a second per publisher (default 100)
  --window W                unconfirmed ids per publisher at most (default 100)
  --queues N                durable queues, one consumer each (default 3)
  --prefetch N              consumer prefetch (default 50)
  --consumer-rate R         acks a second per consumer at most until the finish, so a backlog builds up and every
                            failover must recover stored messages (default: no limit)
  --max-pause-ms MS         SIGCONT at the latest after MS (default 10000)
  --max-partition-ms MS     heal at the latest after MS (default 15000)
  --partition-style S       drop, hold or mixed (default mixed)
  --gap-ms MIN-MAX          normal traffic between two faults (default 1000-3000)
  --restart-delay-ms MS     the supervisor's pause before restarting a node that exited (default 500)
  --heartbeat S             AMQP heartbeat the clients ask for (default 2)
  --failover-timeout-ms MS  a fault with no confirm within MS fails the run (default 60000)
  --dir DIR                 ledgers, node logs and summary.json (default: a new temp dir)
  --sabotage wipe-data      the harness's self-check: every restarted node starts on an empty data directory
                            (sqlite), so confirmed messages are lost and the run must FAIL
  --json                    print only the JSON summary on stdout (progress goes to stderr)
`;

class UsageError extends Error {}

const FLAG_COUNTS: Record<string, FaultKind> = { '--kills': 'kill', '--pauses': 'pause', '--partitions': 'partition', '--pg-restarts': 'pg-restart' };

function parse(argv: string[]): { o: HaOptions; json: boolean } {
  const o = defaultOptions();
  let json = false;
  const given = new Set<string>();
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a non-negative number`);
    return Math.floor(n);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    given.add(a);
    const kind = FLAG_COUNTS[a];
    if (kind !== undefined) o.counts[kind] = num(a, argv[++i]);
    else if (a === '--store') {
      const v = argv[++i];
      if (v !== 'postgres' && v !== 'sqlite') throw new UsageError('--store is postgres or sqlite');
      o.store = v;
    } else if (a === '--nodes') o.nodes = Math.max(1, num(a, argv[++i]));
    else if (a === '--seed') o.seed = num(a, argv[++i]) >>> 0;
    else if (a === '--publishers') o.publishers = Math.max(1, num(a, argv[++i]));
    else if (a === '--rate') o.rate = Math.max(1, num(a, argv[++i]));
    else if (a === '--window') o.window = Math.max(1, num(a, argv[++i]));
    else if (a === '--queues') o.queues = Math.max(1, num(a, argv[++i]));
    else if (a === '--prefetch') o.prefetch = Math.max(1, num(a, argv[++i]));
    else if (a === '--consumer-rate') o.consumerRate = Math.max(1, num(a, argv[++i]));
    else if (a === '--max-pause-ms') o.maxPauseMs = Math.max(1000, num(a, argv[++i]));
    else if (a === '--max-partition-ms') o.maxPartitionMs = Math.max(1000, num(a, argv[++i]));
    else if (a === '--restart-delay-ms') o.restartDelayMs = num(a, argv[++i]);
    else if (a === '--heartbeat') o.heartbeatS = Math.max(1, num(a, argv[++i]));
    else if (a === '--failover-timeout-ms') o.failoverTimeoutMs = Math.max(1000, num(a, argv[++i]));
    else if (a === '--dir') o.dir = argv[++i];
    else if (a === '--json') json = true;
    else if (a === '--sabotage') {
      if (argv[++i] !== 'wipe-data') throw new UsageError('--sabotage takes wipe-data');
      o.sabotage = 'wipe-data';
    }
    else if (a === '--partition-style') {
      const v = argv[++i];
      if (v !== 'drop' && v !== 'hold' && v !== 'mixed') throw new UsageError('--partition-style is drop, hold or mixed');
      o.partitionStyle = v;
    } else if (a === '--gap-ms') {
      const m = /^(\d+)-(\d+)$/.exec(argv[++i] ?? '');
      if (m === null || Number(m[1]) > Number(m[2])) throw new UsageError('--gap-ms needs MIN-MAX');
      o.gapMinMs = Number(m[1]);
      o.gapMaxMs = Number(m[2]);
    } else if (a === '--help' || a === '-h') throw new UsageError('');
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (o.store === 'sqlite') {
    if (!given.has('--nodes')) o.nodes = 1;
    if (!given.has('--partitions')) o.counts.partition = 0;
    if (!given.has('--pg-restarts')) o.counts['pg-restart'] = 0;
    if (o.nodes !== 1 || o.counts.partition > 0 || o.counts['pg-restart'] > 0) {
      throw new UsageError('--store sqlite runs one node, without partitions or PostgreSQL restarts');
    }
  }
  return { o, json };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message === '' ? '' : `ha-test: ${err.message}\n\n`}${USAGE}`);
    return err.message === '' ? 0 : 2;
  }
  const { o, json } = parsed;
  let stopping = false;
  process.on('SIGINT', () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write('\ninterrupted: no more faults; finishing and counting (Ctrl-C again to quit at once)...\n');
  });
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(signal === 'SIGTERM' ? 143 : 129));
  const out = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
  o.log = (line) => out(`[${new Date().toISOString().slice(11, 23)}] ${line}`);
  o.shouldStop = () => stopping;
  const kinds = FAULT_KINDS.map((k) => `${o.counts[k]} ${k}`).join(', ');
  out(`ha-test: ${o.store}, ${o.nodes} node(s), seed ${o.seed}: ${kinds}`);
  const summary = await runHa(o);
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    out(formatTable(summary));
    const { faults, ...short } = summary;
    out(`JSON summary (every fault in ${summary.dir}/summary.json, ${faults.length} of them):`);
    out(JSON.stringify(short));
  }
  return summary.ok ? 0 : 1;
}

process.on('exit', () => emergencyCleanup());
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ha-test: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
