/**
 * The benchmark's processes: the broker under test (dist/main.js on a temp data directory, started when it logs
 * 'leveret started', stopped with SIGTERM), the worker group, RSS sampling and data-directory size.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { startPostgres, type PostgresCluster } from '../../src/test-support/postgres';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as proc from '../process';
import { children, killChildrenSync, log, nowMs, removeTempDirsSync, rssMiB, stopChild, tempDir } from '../process';
import type { Command, WorkerConfig, WorkerMessage } from './workers';

const ROOT = path.resolve(__dirname, '..', '..');
const BROKER_MAIN = path.join(ROOT, 'dist', 'main.js');
const MIB = 1024 * 1024;

/** The file the workers run: the benchmark itself, forked with `--worker`. */
const PERSISTENCE_SCRIPT = path.join(__dirname, '..', 'persistence.ts');

export function cleanupSync(): void {
  killChildrenSync();
  for (const c of postgresClusters.splice(0)) c.destroy();
  removeTempDirsSync();
}

/** Samples a process's RSS every `everyMs`; keeps the peak. */
export class RssSampler {
  peak = 0;
  last = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 500,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  sample(): void {
    try {
      this.last = rssMiB(this.pid);
      if (this.last > this.peak) this.peak = this.last;
    } catch {
      // process gone
    }
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

export function dirSizeMiB(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) {
    const st = fs.statSync(path.join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total / MIB;
}

export interface BrokerProcess {
  child: ChildProcess;
  pid: number;
  /** spawn -> the 'leveret started' log line */
  startupMs: number;
  url: string;
  /** The last lines of output, for error messages. */
  tail: string[];
}

/** `--durability postgres`: the broker on a private PostgreSQL (fsync on), one cluster per run, a database per data dir. */
let postgres: Promise<PostgresCluster> | undefined;
const postgresClusters: PostgresCluster[] = [];

async function storeArgs(dataDir: string, durability: string): Promise<string[]> {
  if (durability !== 'postgres') return ['--durability', durability];
  postgres ??= startPostgres({}).then((c) => {
    postgresClusters.push(c);
    return c;
  });
  const pg = await postgres;
  const name = `bench_${path.basename(dataDir).replace(/[^a-zA-Z0-9]/g, '_').toLowerCase()}`;
  return ['--store', pg.database(name), '--node-name', name];
}

export async function startBrokerProcess(dataDir: string, port: number, durability: string): Promise<BrokerProcess> {
  if (!fs.existsSync(BROKER_MAIN)) throw new Error(`${BROKER_MAIN} is missing: run npm run build first`);
  const args = [BROKER_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--http-port', '0', '--data-dir', dataDir];
  args.push('--log-level', 'info', ...(await storeArgs(dataDir, durability)));
  const spawnedAt = nowMs();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  children.add(child);
  const tail: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    let started = false;
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') keep(line);
    });
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        keep(line);
        if (started) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; level?: number };
          if (entry.msg === 'leveret started') {
            started = true;
            resolve({
              child,
              pid: child.pid as number,
              startupMs: nowMs() - spawnedAt,
              url: `amqp://guest:guest@127.0.0.1:${port}`,
              tail,
            });
          } else if ((entry.level ?? 0) >= 40) {
            log(`broker: ${line}`);
          }
        } catch {
          // not a JSON line
        }
      }
    });
    child.once('exit', (code, signal) => {
      if (!started) reject(new Error(`broker exited (code ${code}, signal ${signal}) before starting:\n${tail.join('\n')}`));
      else if (!stoppingBrokers.has(child)) log(`broker pid ${child.pid} exited unexpectedly (code ${code}, signal ${signal}):\n${tail.join('\n')}`);
    });
  });
}

const stoppingBrokers = new Set<ChildProcess>();

/** SIGTERM (graceful stop); returns how long the broker took to exit. */
export async function stopBroker(broker: BrokerProcess): Promise<number> {
  const t0 = nowMs();
  stoppingBrokers.add(broker.child);
  await stopChild(broker.child, 'SIGTERM', 120_000);
  return nowMs() - t0;
}

export type Worker = proc.Worker<WorkerConfig, Command, WorkerMessage>;

/** Rejects as soon as any worker reports an error, so a scenario never hangs on a dead client. */
export class WorkerGroup extends proc.WorkerGroup<WorkerConfig, Command, WorkerMessage> {
  constructor() {
    super(PERSISTENCE_SCRIPT);
  }
}

export function newDataDir(): string {
  return tempDir('leveret-bench-');
}
