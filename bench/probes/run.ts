/**
 * Issue 11 probes: each attack the issue lists, measured against a checkout's broker (and, where it makes sense and
 * stays light, against the RabbitMQ node on this machine), so a figure can be given before and after the fixes.
 *
 *   node -r ./bench/ts-register.cjs bench/probes/run.ts [--repo DIR] [--only 1,3] [--rabbitmq] [--out DIR]
 *
 * Every probe gets a fresh broker (child process, temp data dir, ports it picks, its output in a log file), is
 * bounded in time (its budget, then the broker is killed) and in memory (--mem-cap: the probes stop growing the
 * broker there, and a watchdog kills it 512 MiB past it). A probe that crashes the broker has it started again on
 * the same data dir when it needs to go on. One line per probe on stdout, results.json and the logs in --out.
 * See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AmqpClient, destroyAllClients } from './client';
import { compareTable } from './compare';
import { procStatus, r1 } from './http';
import { PROBES } from './probes';
import { LeveretTarget, pickMode, RabbitMqTarget, type ExitInfo, type Target } from './target';
import { makeContext, why, type Probe, type ProbeOptions } from './types';

interface Options {
  repo: string;
  mode: 'auto' | 'src' | 'dist';
  only: number[] | undefined;
  leveret: boolean;
  rabbitmq: boolean;
  rabbitAmqp: number;
  rabbitHttp: string;
  out: string | undefined;
  label: string | undefined;
  compare: string | undefined;
  probe: ProbeOptions;
}

interface Result {
  id: number;
  name: string;
  target: 'leveret' | 'rabbitmq';
  verdict: string;
  figure: string;
  /** Broker exits the runner did not ask for, during this probe. */
  crashes: ExitInfo[];
  /** 'memory cap' or 'time budget' when the runner had to kill the broker. */
  killedFor?: string;
  error?: string;
  seconds: number;
  details: Record<string, unknown>;
}

const USAGE = `usage: node -r ./bench/ts-register.cjs bench/probes/run.ts [options]
  --repo <dir>          checkout whose broker is probed (default: this one)
  --mode auto|src|dist  run its src/main.ts with its ts-register, or its dist/main.js (auto: src when present)
  --only <ids>          probes to run, e.g. 1,3,8 (default: all, 1-11)
  --rabbitmq            also run the probes that make sense there against the RabbitMQ node (light settings)
  --rabbitmq-only       only against RabbitMQ
  --rabbitmq-port <n>   its AMQP port (5673); --rabbitmq-http <url> its management API (http://127.0.0.1:15673)
  --out <dir>           results.json and broker logs (default: a new dir under ${os.tmpdir()}/leveret-probes)
  --label <text>        names the run in the output (default: the checkout's dir and commit)
  --compare <json>      after the run, print a before/after table against that earlier results.json
  --mem-cap <MiB>       stop memory-growing attacks at this broker RSS growth (2048)
  --scale <f>           multiplies counts such as consumers and attempts (1 = the issue's figures)
  --rate-seconds <s>    length of each login-rate measurement (3)
`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    repo: path.resolve(__dirname, '..', '..'),
    mode: 'auto',
    only: undefined,
    leveret: true,
    rabbitmq: false,
    rabbitAmqp: 5673,
    rabbitHttp: 'http://127.0.0.1:15673',
    out: undefined,
    label: undefined,
    compare: undefined,
    probe: { memCapMiB: 2048, scale: 1, rateSeconds: 3 },
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    const num = (): number => {
      const n = Number(v());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a}: a positive number`);
      return n;
    };
    switch (a) {
      case '--repo':
        o.repo = path.resolve(v());
        break;
      case '--mode': {
        const m = v();
        if (m !== 'auto' && m !== 'src' && m !== 'dist') throw new Error('--mode auto|src|dist');
        o.mode = m;
        break;
      }
      case '--only':
        o.only = v().split(',').map((s) => Number(s.trim()));
        if (o.only.some((n) => !PROBES.some((p) => p.id === n))) throw new Error(`--only: probes are ${PROBES.map((p) => p.id).join(',')}`);
        break;
      case '--rabbitmq':
        o.rabbitmq = true;
        break;
      case '--rabbitmq-only':
        o.rabbitmq = true;
        o.leveret = false;
        break;
      case '--rabbitmq-port':
        o.rabbitAmqp = num();
        break;
      case '--rabbitmq-http':
        o.rabbitHttp = v();
        break;
      case '--out':
        o.out = path.resolve(v());
        break;
      case '--label':
        o.label = v();
        break;
      case '--compare':
        o.compare = path.resolve(v());
        if (!fs.existsSync(o.compare)) throw new Error(`--compare: no ${o.compare}`);
        break;
      case '--mem-cap':
        o.probe.memCapMiB = num();
        break;
      case '--scale':
        o.probe.scale = num();
        break;
      case '--rate-seconds':
        o.probe.rateSeconds = num();
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return o;
}

function log(text: string): void {
  process.stderr.write(`[probes ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function commitOf(repo: string): string {
  try {
    const head = execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no', '--', 'src'], { encoding: 'utf8' }).trim();
    return dirty === '' ? head : `${head}+src changes`;
  } catch {
    return 'unknown';
  }
}

/** The live targets, so a signal or an exit can stop them by pid. */
const liveTargets = new Set<LeveretTarget>();

async function runOne(probe: Probe, target: Target, options: Options, onKill: (why: string) => void): Promise<Result> {
  const t0 = performance.now();
  const probeOptions: ProbeOptions = { ...options.probe };
  const ctx = makeContext(target, probeOptions, (t) => log(`  P${probe.id} ${target.kind}: ${t}`));
  const exitsBefore = target.exits.length;
  let killedFor: string | undefined;
  const kill = (reason: string): void => {
    killedFor ??= reason;
    onKill(reason);
  };
  // Memory watchdog (Leveret only: RabbitMQ's node is not ours to kill; the probes keep it light instead).
  const base = target.pid === undefined ? undefined : procStatus(target.pid)?.rssMiB;
  const watchdog =
    target.kind === 'leveret'
      ? setInterval(() => {
          const s = target.pid === undefined ? undefined : procStatus(target.pid);
          if (s !== undefined && base !== undefined && s.rssMiB - base > options.probe.memCapMiB + 512) kill(`memory cap (RSS ${Math.round(s.rssMiB)} MiB)`);
        }, 200)
      : undefined;
  let budgetTimer: NodeJS.Timeout | undefined;
  const budget = new Promise<never>((_, reject) => {
    budgetTimer = setTimeout(() => {
      kill(`time budget (${probe.budgetS} s)`);
      reject(new Error(`over its time budget of ${probe.budgetS} s`));
    }, probe.budgetS * 1000);
  });
  let result: Result;
  try {
    const outcome = await Promise.race([probe.run(ctx), budget]);
    const crashes = target.exits.slice(exitsBefore);
    result = {
      id: probe.id,
      name: probe.name,
      target: target.kind,
      verdict: outcome.verdict ?? (crashes.length > 0 ? `CRASHED x${crashes.length}` : 'survived'),
      figure: outcome.figure,
      crashes,
      seconds: r1((performance.now() - t0) / 1000),
      details: outcome.details,
    };
  } catch (e) {
    const crashes = target.exits.slice(exitsBefore);
    result = {
      id: probe.id,
      name: probe.name,
      target: target.kind,
      verdict: crashes.length > 0 ? `CRASHED x${crashes.length}` : 'error',
      figure: `probe failed: ${why(e)}`.slice(0, 200),
      crashes,
      error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      seconds: r1((performance.now() - t0) / 1000),
      details: {},
    };
  } finally {
    clearTimeout(budgetTimer);
    if (watchdog) clearInterval(watchdog);
    destroyAllClients();
  }
  if (killedFor !== undefined) {
    result.killedFor = killedFor;
    // The kill is ours, not a crash.
    result.crashes = result.crashes.filter((e) => e.signal !== 'SIGKILL');
    result.verdict = `${result.verdict} (broker killed: ${killedFor})`;
  }
  return result;
}

async function runLeveret(probe: Probe, options: Options, mode: 'src' | 'dist', out: string): Promise<Result> {
  const target = new LeveretTarget({
    repo: options.repo,
    mode,
    logFile: path.join(out, `p${String(probe.id).padStart(2, '0')}-leveret.log`),
    ...(probe.nofile !== undefined ? { nofile: probe.nofile } : {}),
  });
  liveTargets.add(target);
  try {
    const startMs = await target.start();
    log(`P${probe.id} ${probe.name}: Leveret pid ${target.pid} up in ${Math.round(startMs)} ms (amqp ${target.amqpPort}, ${target.httpBase})`);
    return await runOne(probe, target, options, () => target.kill());
  } catch (e) {
    return { id: probe.id, name: probe.name, target: 'leveret', verdict: 'error', figure: `broker did not start: ${why(e)}`.slice(0, 200), crashes: [], seconds: 0, details: {} };
  } finally {
    await target.stop();
    liveTargets.delete(target);
  }
}

/**
 * Waits (up to 60 s) until a round trip on the RabbitMQ node takes under 50 ms: a probe must not start while the
 * node is still busy with the previous one (closing thousands of consumers takes it seconds).
 */
async function settle(target: Target): Promise<void> {
  const end = performance.now() + 60_000;
  while (performance.now() < end) {
    try {
      const c = await AmqpClient.connect(target.host, target.amqpPort, { timeoutMs: 30_000 });
      const ch = await c.openChannel(30_000);
      const ms = await c.ping(ch, 30_000);
      c.destroy();
      if (ms < 50) return;
    } catch {
      // busy or refusing: try again
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function line(r: Result): string {
  return `P${String(r.id).padEnd(2)} ${r.target.padEnd(8)} ${r.name.padEnd(34).slice(0, 34)} | ${r.verdict} | ${r.figure}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const selected = PROBES.filter((p) => options.only === undefined || options.only.includes(p.id));
  const mode = options.leveret ? pickMode(options.repo, options.mode) : 'src';
  const commit = commitOf(options.repo);
  const label = options.label ?? `${path.basename(options.repo)}@${commit}`;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const out = options.out ?? path.join(os.tmpdir(), 'leveret-probes', `${label.replace(/[^A-Za-z0-9_.@+-]/g, '_')}-${stamp}`);
  fs.mkdirSync(out, { recursive: true });
  log(`${label}: probes ${selected.map((p) => p.id).join(',')}${options.leveret ? `, Leveret from ${mode === 'src' ? 'src/main.ts' : 'dist/main.js'}` : ''}${options.rabbitmq ? ', RabbitMQ' : ''}; output in ${out}`);
  const results: Result[] = [];
  // Other work on the machine moves the timing figures (probes 4, 8, 11): the load is kept with them.
  const loadAtStart = os.loadavg().map((l) => r1(l, 2));
  const doc = () => {
    const load = { atStart: loadAtStart, atEnd: os.loadavg().map((l) => r1(l, 2)), cpus: os.cpus().length };
    return { label, repo: options.repo, commit, mode, node: process.version, date: new Date().toISOString(), load, options: options.probe, results };
  };
  const write = (): void => {
    fs.writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(doc(), null, 2)}\n`);
  };
  for (const probe of selected) {
    if (options.leveret) {
      const r = await runLeveret(probe, options, mode, out);
      results.push(r);
      process.stdout.write(`${line(r)}\n`);
      write();
    }
    if (options.rabbitmq && probe.rabbitmq) {
      const target = new RabbitMqTarget(options.rabbitAmqp, options.rabbitHttp);
      log(`P${probe.id} ${probe.name}: RabbitMQ beam.smp pid ${target.pid ?? '?'} (amqp ${target.amqpPort})`);
      await settle(target);
      const r = await runOne(probe, target, options, () => undefined);
      results.push(r);
      process.stdout.write(`${line(r)}\n`);
      write();
    }
  }
  write();
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  process.stdout.write(`\nload average ${loadAtStart.join(' ')} at start, ${load} at end (${os.cpus().length} CPUs)\nresults: ${path.join(out, 'results.json')}\n`);
  if (options.compare !== undefined) process.stdout.write(`\n${compareTable(options.compare, doc())}`);
}

function stopAllSync(): void {
  for (const t of liveTargets) t.killSync();
}
process.on('exit', stopAllSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    stopAllSync();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`probes: ${e instanceof Error ? e.message : String(e)}\n`);
    stopAllSync();
    process.exit(1);
  },
);
