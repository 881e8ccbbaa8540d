/**
 * The comparison suite: throughput, latency and memory scenarios run against Leveret and RabbitMQ in the same run,
 * interleaved (and in alternating order across repetitions), so the numbers compare like with like.
 *
 *   npm run bench -- [--scenario a,b,...] [--repeat 3] [--duration 5] [--only leveret,leveret-pg,rabbitmq]
 *                    [--client amqplib,leveret-perf]
 *   (npm run build && node -r ./bench/ts-register.cjs bench/suite.ts ...)
 *
 * Leveret runs as the compiled dist/main.js in its own process; RabbitMQ is Debian's rabbitmq-server started by
 * hand as a private node (no plugins) under a temp dir. Producers and consumers are separate processes, using
 * amqplib or leveret-perf's Producer and Consumer (src/perf): this same file, forked with `--worker <json>`; every
 * flow scenario and the ceiling run once per client. Output: one JSON line per measurement and per summary on
 * stdout, then the table; progress on stderr. See bench/README.md.
 *
 * This file is the command line and the run loop; the pieces are in bench/suite/: workers.ts (client processes),
 * brokers.ts (the brokers as processes), scenarios.ts (what is measured), runners.ts (one scenario against one
 * broker), summary.ts (the table).
 */
import * as os from 'node:os';
import { log, nowMs } from './process';
import { BROKER_NAMES, cleanupSync, startBroker, type Broker, type BrokerName } from './suite/brokers';
import { ceilingScenario, connectionsScenario, flowScenario, startupScenario } from './suite/runners';
import { CLIENTS, SCENARIOS, type ClientName, type Options, type Result } from './suite/scenarios';
import { stat, summarizeAll } from './suite/summary';
import { runWorker, type WorkerConfig } from './suite/workers';

// ---------------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------------

const USAGE = `usage: npm run bench -- [options]
  --scenario <list>   comma list of names or letters (default: all):
${SCENARIOS.map((s) => `      ${s.id.padEnd(8)} ${s.name.padEnd(14)} ${s.title}`).join('\n')}
  --repeat <n>        repetitions, brokers interleaved, order alternating (default 3)
  --duration <s>      measured seconds per throughput/latency run (default 4)
  --warmup <s>        unmeasured seconds before each (default 2)
  --only <list>       some of leveret (SQLite), leveret-pg (a private PostgreSQL), rabbitmq (default: all three)
  --client <list>     load generators for a-g10k and ceiling: some of ${CLIENTS.join(', ')} (default: both;
                      a table each, amqplib first)
`;

function parseOptions(argv: string[]): Options {
  const opts: Options = { scenarios: SCENARIOS.map((s) => s.name), clients: [...CLIENTS], repeat: 3, durationS: 4, warmupS: 2, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--scenario': {
        const wanted = value().split(',').map((s) => s.trim()).filter((s) => s !== '');
        opts.scenarios = wanted.map((w) => {
          const def = SCENARIOS.find((s) => s.id === w || s.name === w);
          if (!def) throw new Error(`unknown scenario ${w}\n${USAGE}`);
          return def.name;
        });
        break;
      }
      case '--repeat':
        opts.repeat = Number(value());
        break;
      case '--duration':
        opts.durationS = Number(value());
        break;
      case '--warmup':
        opts.warmupS = Number(value());
        break;
      case '--only': {
        const list = value().split(',').map((v) => v.trim());
        for (const v of list) if (!(BROKER_NAMES as readonly string[]).includes(v)) throw new Error(`--only takes ${BROKER_NAMES.join(', ')}, not ${v}`);
        opts.only = list as BrokerName[];
        break;
      }
      case '--client': {
        const list = value().split(',').map((v) => v.trim());
        for (const v of list) if (!(CLIENTS as readonly string[]).includes(v)) throw new Error(`--client takes ${CLIENTS.join(', ')}, not ${v}`);
        opts.clients = CLIENTS.filter((c) => list.includes(c)); // amqplib first, whatever the order given
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
  if (!(opts.repeat >= 1) || !(opts.durationS > 0) || !(opts.warmupS >= 0)) throw new Error(`bad --repeat/--duration/--warmup\n${USAGE}`);
  return opts;
}

function emit(r: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping everything this run started`);
    cleanupSync();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', cleanupSync);

  const host = { nproc: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
  log(`host ${JSON.stringify(host)}; options ${JSON.stringify(opts)}`);
  const names: BrokerName[] = opts.only ?? [...BROKER_NAMES];
  const needBrokers = opts.scenarios.some((n) => ['flow'].includes(SCENARIOS.find((s) => s.name === n)!.kind));
  const brokers = new Map<BrokerName, Broker>();
  const results: Result[] = [];
  const t0 = nowMs();
  try {
    if (needBrokers) {
      for (const name of names) {
        const b = await startBroker(name);
        brokers.set(name, b);
        log(`${name} up in ${b.startupMs.toFixed(0)} ms (pid ${b.child.pid}, ${b.url})`);
      }
    }
    for (let run = 1; run <= opts.repeat; run++) {
      let k = 0;
      for (const def of SCENARIOS) {
        if (!opts.scenarios.includes(def.name)) continue;
        k++;
        if (def.kind === 'ceiling') {
          for (const client of opts.clients) {
            log(`run ${run}: ${def.name} (${client})`);
            const r = await ceilingScenario(def, opts, run, client);
            emit(r);
            results.push(r);
          }
          continue;
        }
        // Alternating order across repetitions, so no broker always runs first (or last) on a warm machine.
        const order = (run + k) % 2 === 0 ? names : [...names].reverse();
        // Flow scenarios once per client (each against every broker, in this order); h and i do not depend on it.
        const clients: ClientName[] = def.kind === 'flow' ? opts.clients : ['amqplib'];
        for (const client of clients) {
          for (const name of order) {
            const via = def.kind === 'flow' ? ` via ${client}` : '';
            log(`run ${run}: ${def.name} on ${name}${via}`);
            let r: Result;
            if (def.kind === 'startup') r = await startupScenario(def, name, run);
            else if (def.kind === 'connections') {
              // A fresh instance: a broker that ran the throughput scenarios keeps freed memory, hiding the cost.
              const fresh = await startBroker(name);
              try {
                r = await connectionsScenario(def, fresh, opts, run);
              } finally {
                await fresh.stop();
              }
            } else r = await flowScenario(def, brokers.get(name)!, opts, run, client);
            emit(r);
            results.push(r);
            const shown = def.metrics.map((m) => `${m.key}=${String(r[m.key])}`).join(' ');
            log(`  ${shown}${r.clientSaturated ? ' (client saturated)' : ''}`);
          }
        }
      }
    }
  } finally {
    for (const b of brokers.values()) await b.stop();
  }
  const lines = summarizeAll(results, opts);
  for (const client of CLIENTS) {
    for (const def of SCENARIOS) {
      if (!opts.scenarios.includes(def.name)) continue;
      for (const m of def.metrics) {
        const entry: Record<string, unknown> = { summary: def.name, client, metric: m.key };
        for (const b of [...BROKER_NAMES, 'none']) {
          const s = stat(results.filter((r) => r.scenario === def.name && r.client === client && r.broker === b), m.key);
          if (s) entry[b] = s;
        }
        if (Object.keys(entry).length > 3) emit(entry);
      }
    }
  }
  const header = `\n${opts.repeat} repetition(s), ${opts.durationS} s measured after ${opts.warmupS} s warm-up; ${host.nproc} vCPU ${host.cpuModel}; total ${((nowMs() - t0) / 1000).toFixed(0)} s`;
  process.stdout.write(`${header}\n\n${lines.join('\n')}\n`);
}

const workerAt = process.argv.indexOf('--worker');
if (workerAt >= 0) {
  runWorker(JSON.parse(process.argv[workerAt + 1] as string) as WorkerConfig);
} else {
  main().then(
    () => {
      cleanupSync();
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      cleanupSync();
      process.exit(1);
    },
  );
}
