/** Command-line options of `npm run fuzz`, and their defaults. */
import { join, resolve } from 'node:path';

export interface FuzzOptions {
  /** Mutated frames to send (the run's length). */
  frames: number;
  seed: number;
  /** Rich mode: TTL and dead-lettering, delivery limits, quorum and priority queues, vanishing consumers. */
  rich: boolean;
  /** Hard cap on the attack phases' wall time. */
  durationMs: number;
  /** Attacker connections at a time. */
  concurrency: number;
  /** Aim at a running broker instead of starting one (no restart phase then). */
  url: string | undefined;
  /** Its management API (default: same host, port 15672). */
  httpUrl: string | undefined;
  /** Stop and restart the child broker on its data directory between the two attack phases. */
  restart: boolean;
  /** After a crash, restart the broker and go on (to find more than the first crash). */
  keepGoing: boolean;
  maxRssMb: number;
  /** Where crash files and broker logs go. */
  outDir: string;
  /** Replay the connections of a crash file against a fresh broker, one by one. */
  replay: string | undefined;
  /** With --replay: cut the reproducing connection down to the frames that still crash a fresh broker. */
  minimize: boolean;
  /** Play only these connection indices (regenerated from the seed), one at a time. */
  only: number[] | undefined;
  /** Print a progress line every few seconds. */
  progress: boolean;
  /** Run the child broker from this checkout's sources instead of this one's (before/after comparisons). */
  sources: string;
}

export const REPO_ROOT = join(__dirname, '..', '..');

export function defaultOptions(): FuzzOptions {
  return {
    frames: 200_000,
    seed: Date.now() % 1_000_000_007,
    rich: false,
    durationMs: 20 * 60_000,
    concurrency: 24,
    url: undefined,
    httpUrl: undefined,
    restart: true,
    keepGoing: false,
    maxRssMb: 1024,
    outDir: join(REPO_ROOT, '.tmp', 'fuzz'),
    replay: undefined,
    minimize: false,
    only: undefined,
    progress: true,
    sources: REPO_ROOT,
  };
}

export const USAGE = `Usage: npm run fuzz -- [options]

Black-box fuzzing of Leveret's AMQP port: attacker connections log in and send valid and mutated frames of every
class and method, while a well-behaved amqplib client publishes with confirms and consumes beside them. A watchdog
opens a connection every 2 s: a broker that stops answering is a hang (its stack is taken with Node's inspector).
Exits non-zero on a crash or hang, a lost confirmed message, or a failed liveness check.

  --frames N         mutated frames to send (default 200000)
  --seed S           seed (default: from the clock); the same seed gives the same frames per connection
  --rich             also TTL + dead-lettering, delivery limits, quorum and priority queues, length limits,
                     persistent poisoned messages, consumers that nack/reject and vanish holding deliveries
  --duration T       cap on attack time: 90s, 10m, or ms (default 20m)
  --concurrency N    attacker connections at a time (default 24)
  --url URL          fuzz a running broker (amqp://user:pass@host:port); no restart phase
  --http-url URL     its management API (default http://<host>:15672)
  --no-restart       skip the stop/start phase of the child broker
  --keep-going       after a crash or hang, restart the broker and continue (lists every distinct one)
  --max-rss-mb N     the broker is down when its RSS goes above N MiB (default 1024)
  --out DIR          crash files and broker logs (default .tmp/fuzz)
  --replay FILE      replay the connections recorded in a crash file against a fresh broker, one at a time,
                     then all together, and say which reproduces the crash
  --minimize         with --replay: cut the connection that reproduces down to the frames that still crash it
  --only I,J-K,...   play only these connection indices of --seed (regenerated), one at a time, in order, on
                     one fresh broker (a range rebuilds the queue state a crash at delivery time needs)
  --quiet            no progress lines
  --sources DIR      run the child broker from another checkout's src/ (with node_modules), e.g. an older
                     commit from git archive, to compare before and after
`;

export class UsageError extends Error {}

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (m === null) throw new UsageError(`bad duration '${text}' (use 90s, 10m, 1h or ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || !Number.isInteger(n)) throw new UsageError(`${name} must be a positive integer, got '${text}'`);
  return n;
}

/** Parses argv (without node and the script); throws UsageError; returns 'help' for --help. */
export function parseArgs(argv: string[]): FuzzOptions | 'help' {
  const o = defaultOptions();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const take = (): string => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--help':
      case '-h':
        return 'help';
      case '--frames':
        o.frames = positive('--frames', take());
        break;
      case '--seed': {
        const s = Number(take());
        if (!Number.isSafeInteger(s) || s < 0) throw new UsageError('--seed must be a non-negative integer');
        o.seed = s;
        break;
      }
      case '--rich':
        o.rich = true;
        break;
      case '--duration':
        o.durationMs = duration(take());
        break;
      case '--concurrency':
        o.concurrency = positive('--concurrency', take());
        break;
      case '--url':
        o.url = take();
        o.restart = false;
        break;
      case '--http-url':
        o.httpUrl = take();
        break;
      case '--no-restart':
        o.restart = false;
        break;
      case '--keep-going':
        o.keepGoing = true;
        break;
      case '--max-rss-mb':
        o.maxRssMb = positive('--max-rss-mb', take());
        break;
      case '--out':
        o.outDir = take();
        break;
      case '--replay':
        o.replay = take();
        break;
      case '--minimize':
        o.minimize = true;
        break;
      case '--only':
        o.only = take()
          .split(',')
          .flatMap((s) => {
            const [a, b] = s.split('-').map(Number) as [number, number | undefined];
            const last = b ?? a;
            if (!Number.isSafeInteger(a) || !Number.isSafeInteger(last) || a < 0 || last < a) throw new UsageError(`bad connection index or range '${s}'`);
            return Array.from({ length: last - a + 1 }, (_, i) => a + i);
          });
        break;
      case '--quiet':
        o.progress = false;
        break;
      case '--sources':
        o.sources = resolve(take());
        break;
      default:
        throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (o.url !== undefined) o.restart = false;
  return o;
}
