/**
 * `npm run fuzz:http`: hostile requests over every route of Leveret's management API (see run.ts). Exit status 0
 * when no answer was a 5xx or a 4xx without RabbitMQ's error body and the broker stayed up; 1 otherwise; 2 for bad
 * usage.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../options';
import { formatHttpReport, runHttpFuzz, type HttpFuzzOptions } from './run';

const USAGE = `Usage: npm run fuzz:http -- [options]

Hostile management API requests (bodies, paths, query strings) over every route, with valid Basic auth, against a
child broker on a temporary data directory: never a 5xx, every 4xx with {"error", "reason"}, the broker stays up.

  --requests N       requests to send (default 20000)
  --seed S           seed (default: from the clock); the same seed gives the same requests
  --concurrency N    requests in flight (default 8)
  --duration T       cap on the run: 90s, 10m (default 30m)
  --url URL          fuzz a running broker's API (http://user:pass@host:15672) instead of a child broker
  --amqp-url URL     with --url: its AMQP port, for the liveness check at the end
  --max-rss-mb N     the broker is down when its RSS goes above N MiB (default 1024)
  --out DIR          failures (with curl reproducers) and broker log (default .tmp/fuzz)
  --quiet            no progress lines
`;

function parse(argv: string[]): HttpFuzzOptions | string {
  const o: HttpFuzzOptions = { requests: 20_000, seed: Date.now() % 1_000_000_007, concurrency: 8, durationMs: 30 * 60_000, url: undefined, amqpUrl: undefined, maxRssMb: 1024, outDir: join(REPO_ROOT, '.tmp', 'fuzz'), progress: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
      return n;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--requests':
        o.requests = int();
        break;
      case '--seed':
        o.seed = int();
        break;
      case '--concurrency':
        o.concurrency = Math.max(1, int());
        break;
      case '--duration': {
        const m = /^(\d+)(ms|s|m|h)?$/.exec(value());
        if (m === null) throw new Error('--duration: use 90s, 10m, 1h or ms');
        o.durationMs = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'];
        break;
      }
      case '--url':
        o.url = value();
        break;
      case '--amqp-url':
        o.amqpUrl = value();
        break;
      case '--max-rss-mb':
        o.maxRssMb = int();
        break;
      case '--out':
        o.outDir = value();
        break;
      case '--quiet':
        o.progress = false;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return o;
}

async function main(): Promise<number> {
  let o: HttpFuzzOptions | string;
  try {
    o = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`fuzz:http: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (typeof o === 'string') {
    process.stdout.write(USAGE);
    return 0;
  }
  process.stdout.write(`fuzzing the management API, seed ${o.seed}: ${o.requests} requests, concurrency ${o.concurrency}\n`);
  const report = await runHttpFuzz(o, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(`${formatHttpReport(report)}\n`);
  return report.verdict.every((v) => v.startsWith('duration cap')) ? 0 : 1;
}

// SIGINT/SIGTERM: exit through process.exit so that BrokerProcess's exit handler kills the child broker by pid.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz:http: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
