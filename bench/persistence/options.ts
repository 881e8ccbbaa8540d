/**
 * The persistence benchmark's command line: options, their defaults and the usage text.
 */

export interface Options {
  scenario: 'confirms' | 'backlog' | 'all';
  durationS: number;
  warmupS: number;
  backlog: number;
  repeat: number;
  inFlight: number;
  publishers: number;
  prefetch: number;
  durabilities: string[] | undefined;
}

export type Result = Record<string, unknown>;

export const USAGE = `usage: node -r ./bench/ts-register.cjs bench/persistence.ts [options]
  --scenario confirms|backlog|all   (default all)
  --duration <s>        measured seconds of the confirms scenario (default 30)
  --warmup <s>          unmeasured seconds before it (default 5)
  --backlog <n>         messages in the backlog scenario (default 10000000); 1e6, 3m, 500k are accepted
  --repeat <n>          runs of each scenario and durability (default 1)
  --in-flight <n>       unconfirmed messages per publisher (default 1000)
  --publishers <n>      publisher connections in the backlog scenario (default 1)
  --prefetch <n>        the confirms scenario's consumer prefetch (default 100)
  --durability <list>   fsync,relaxed,postgres (postgres: the broker on a private PostgreSQL with fsync on);
                        default: confirms runs fsync and relaxed, backlog runs fsync
`;

function parseCount(raw: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([km]?)$/i.exec(raw.trim());
  if (!m) throw new Error(`not a count: ${raw}`);
  const unit = (m[2] ?? '').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : 1));
}

export function parseOptions(argv: string[]): Options {
  const opts: Options = {
    scenario: 'all',
    durationS: 30,
    warmupS: 5,
    backlog: 10_000_000,
    repeat: 1,
    inFlight: 1000,
    publishers: 1,
    prefetch: 100,
    durabilities: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--scenario': {
        const v = value();
        if (v !== 'confirms' && v !== 'backlog' && v !== 'all') throw new Error(`unknown scenario ${v}`);
        opts.scenario = v;
        break;
      }
      case '--duration':
        opts.durationS = Number(value());
        break;
      case '--warmup':
        opts.warmupS = Number(value());
        break;
      case '--backlog':
        opts.backlog = parseCount(value());
        break;
      case '--repeat':
        opts.repeat = parseCount(value());
        break;
      case '--in-flight':
        opts.inFlight = parseCount(value());
        break;
      case '--publishers':
        opts.publishers = parseCount(value());
        break;
      case '--prefetch':
        opts.prefetch = parseCount(value());
        break;
      case '--durability': {
        const list = value().split(',').map((s) => s.trim());
        for (const d of list) if (d !== 'fsync' && d !== 'relaxed' && d !== 'postgres') throw new Error(`unknown durability ${d}`);
        opts.durabilities = list;
        break;
      }
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  for (const [name, n] of Object.entries({ duration: opts.durationS, backlog: opts.backlog, repeat: opts.repeat })) {
    if (!(n > 0)) throw new Error(`--${name} must be positive`);
  }
  return opts;
}
