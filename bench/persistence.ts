/**
 * Durability benchmark: persistent 1 KiB messages with publisher confirms through one durable queue, and a large
 * backlog (publish, restart, drain). Runs the compiled broker (dist/main.js) in its own process with a temporary
 * data directory, and every publisher and consumer in its own process too, so the figures are the broker's.
 *
 *   npm run build
 *   node -r ./bench/ts-register.cjs bench/persistence.ts --scenario all
 *   (or: npm run bench:persistence -- --scenario confirms --duration 30)
 *
 * Output: one JSON line per result on stdout, then a table; progress goes to stderr. See bench/README.md.
 *
 * The same file is the worker: the orchestrator forks it with `--worker <json>`.
 *
 * The pieces are in bench/persistence/: options.ts (command line), workers.ts (client processes), processes.ts
 * (the broker and the worker group), confirms.ts and backlog.ts (the scenarios).
 */
import * as os from 'node:os';
import { log } from './process';
import { backlogScenario } from './persistence/backlog';
import { confirmsScenario } from './persistence/confirms';
import { parseOptions, type Result } from './persistence/options';
import { cleanupSync } from './persistence/processes';
import { runWorker, type WorkerConfig } from './persistence/workers';

function emit(result: Result): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function printTable(results: Result[]): void {
  const lines: string[] = [];
  const confirms = results.filter((r) => r.scenario === 'confirms');
  if (confirms.length > 0) {
    lines.push('', 'confirms: persistent 1 KiB, one durable queue, 1 publisher (confirms) + 1 consumer (acks each message)');
    lines.push(
      pad(['durability', 'run', 'prefetch', 'confirmed/s', 'p50 ms', 'p99 ms', 'delivered/s', 'RSS MiB', 'peak MiB', 'CPU %']),
    );
    for (const r of confirms) {
      lines.push(
        pad([r.durability, r.run, r.prefetch, r.confirmedPerS, r.confirmP50Ms, r.confirmP99Ms, r.deliveredPerS, r.brokerRssMiB,
          r.brokerPeakRssMiB, r.brokerCpuPct]),
      );
    }
  }
  const backlog = results.filter((r) => r.scenario === 'backlog');
  if (backlog.length > 0) {
    lines.push('', 'backlog: publish N persistent 1 KiB with confirms, restart, drain (prefetch 1000, multiple acks)');
    lines.push(
      pad(['durability', 'messages', 'publish/s', 'peak MiB', 'data MiB', 'start ms', 'start MiB', 'drain/s',
        'drain peak', 'ok']),
    );
    for (const r of backlog) {
      lines.push(
        pad([r.durability, r.messages, r.publishPerS, r.publishPeakRssMiB, r.dataDirMiB, r.startupMs,
          r.rssAfterStartMiB, r.drainPerS, r.drainPeakRssMiB, r.ok]),
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function pad(cells: unknown[]): string {
  return cells.map((c, i) => String(c ?? '-')[i === 0 ? 'padEnd' : 'padStart'](i === 0 ? 11 : 12)).join(' ');
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

  const host = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
  log(`host: ${JSON.stringify(host)}; data dirs under ${os.tmpdir()}`);
  const results: Result[] = [];
  if (opts.scenario === 'confirms' || opts.scenario === 'all') {
    for (const durability of opts.durabilities ?? ['fsync', 'relaxed']) {
      for (let run = 1; run <= opts.repeat; run++) {
        const r = { ...(await confirmsScenario(opts, durability, run)), ...host };
        emit(r);
        results.push(r);
      }
    }
  }
  if (opts.scenario === 'backlog' || opts.scenario === 'all') {
    for (const durability of opts.durabilities ?? ['fsync']) {
      for (let run = 1; run <= opts.repeat; run++) {
        const r = { ...(await backlogScenario(opts, durability, run)), ...host };
        emit(r);
        results.push(r);
      }
    }
  }
  printTable(results);
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
