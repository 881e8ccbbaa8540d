/**
 * The brokers under test, as processes: Leveret (the compiled dist/main.js) and a private RabbitMQ node (no
 * plugins), started on free ports under temp dirs and stopped by pid with their process trees (and RabbitMQ's epmd).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as amqp from 'amqplib';
import {
  alive,
  children,
  freePort,
  killChildrenSync,
  log,
  nowMs,
  removeTempDir,
  removeTempDirsSync,
  sleep,
  tempDir,
  waitExit,
} from '../process';
import { startPostgres, type PostgresCluster } from '../../src/test-support/postgres';

const ROOT = path.resolve(__dirname, '..', '..');
const BROKER_MAIN = path.join(ROOT, 'dist', 'main.js');
const RMQ_BIN = '/usr/lib/rabbitmq/bin';

/** Private epmd ports of RabbitMQ nodes started by this run (the epmd daemon is not our child). */
const epmdPorts = new Set<number>();

/** pids of `pid` and all its descendants, from /proc/<pid>/stat (field 4 = ppid). */
function processTree(pid: number): number[] {
  const parentOf = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parentOf.get(ppid) ?? [];
      list.push(Number(name));
      parentOf.set(ppid, list);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of parentOf.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Synchronous (usable from the exit handler): epmd refuses -kill while it still lists the node, so retry. */
function stopEpmd(port: number): void {
  for (let attempt = 0; attempt < 30; attempt++) {
    let out = '';
    try {
      out = execFileSync('epmd', ['-port', String(port), '-kill'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? '');
    }
    if (!/not allowed/i.test(out)) break; // "Killed", or no epmd on that port
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  epmdPorts.delete(port);
}

export function cleanupSync(): void {
  // A RabbitMQ node: its beam.smp and helpers are children of the script we spawned.
  killChildrenSync(processTree);
  for (const c of postgresClusters.splice(0)) c.destroy();
  for (const port of [...epmdPorts]) stopEpmd(port);
  removeTempDirsSync();
}

/** Like process.ts's stopChild, but also SIGKILLs the child's leftover descendants (a RabbitMQ node). */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals | null, timeoutMs: number): Promise<void> {
  if (child.pid === undefined) return;
  const tree = alive(child) ? processTree(child.pid) : [];
  if (signal !== null && alive(child)) process.kill(child.pid, signal);
  if (!(await waitExit(child, timeoutMs))) {
    log(`pid ${child.pid} did not exit in ${timeoutMs} ms; killing it`);
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await waitExit(child, 5000);
  }
  // Leftover descendants (a RabbitMQ node's beam.smp when only the script went away).
  for (const pid of tree.slice(1)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  children.delete(child);
}

/** Polls an AMQP connection until the broker accepts one; resolves with the time of success. */
async function awaitAmqp(url: string, child: ChildProcess, timeoutMs: number, tail: () => string): Promise<number> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    if (!alive(child)) throw new Error(`broker exited (code ${child.exitCode}) before accepting connections:\n${tail()}`);
    try {
      const conn = await amqp.connect(url);
      const at = nowMs();
      await conn.close();
      return at;
    } catch {
      if (nowMs() > deadline) throw new Error(`broker did not accept AMQP connections in ${timeoutMs} ms:\n${tail()}`);
      await sleep(50);
    }
  }
}

/** leveret: on SQLite (the default store); leveret-pg: on a private PostgreSQL (fsync on), as a node of a group of one. */
export type BrokerName = 'leveret' | 'leveret-pg' | 'rabbitmq';
export const BROKER_NAMES: readonly BrokerName[] = ['leveret', 'leveret-pg', 'rabbitmq'];

/** One PostgreSQL cluster for the run (started with the first leveret-pg broker); a database per broker. */
let postgres: Promise<PostgresCluster> | undefined;
const postgresClusters: PostgresCluster[] = [];
let postgresDatabases = 0;

async function startLeveretOnPostgres(): Promise<Broker> {
  postgres ??= startPostgres({}).then((c) => {
    postgresClusters.push(c);
    return c;
  });
  const pg = await postgres;
  const n = ++postgresDatabases;
  return startLeveret('leveret-pg', ['--store', pg.database(`bench_${n}`), '--node-name', `bench-${n}`]);
}

export interface Broker {
  name: BrokerName;
  child: ChildProcess;
  url: string;
  /** spawn -> first AMQP connection accepted */
  startupMs: number;
  dir: string;
  /** The broker's processes (RabbitMQ: the script, beam.smp, its helpers), for RSS and CPU. */
  pids(): number[];
  stop(): Promise<void>;
}

function outputTail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(line);
    while (lines.length > 30) lines.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

async function startLeveret(name: 'leveret' | 'leveret-pg' = 'leveret', storeArgs: string[] = []): Promise<Broker> {
  if (!fs.existsSync(BROKER_MAIN)) throw new Error(`${BROKER_MAIN} is missing: run npm run build first`);
  const dir = tempDir('leveret-bench-suite-');
  const port = await freePort();
  const args = [BROKER_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--http-port', '0', '--data-dir', dir];
  args.push('--log-level', 'warn', ...storeArgs);
  // LEVERET_BENCH_ARGS="--durability relaxed" adds broker options, for experiments.
  if (process.env.LEVERET_BENCH_ARGS) args.push(...process.env.LEVERET_BENCH_ARGS.split(' ').filter((a) => a !== ''));
  const t0 = nowMs();
  // LEVERET_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the broker under load.
  const nodeArgs = (process.env.LEVERET_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  children.add(child);
  const tail = outputTail(child);
  // LEVERET_BENCH_BROKER_OUTPUT=file keeps all of the broker's output (with --trace-gc, say) rather than its tail.
  const keepAll = process.env.LEVERET_BENCH_BROKER_OUTPUT;
  if (keepAll) {
    const out = fs.createWriteStream(keepAll);
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
  }
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const ready = await awaitAmqp(url, child, 30_000, tail);
  const pid = child.pid as number;
  return {
    name,
    child,
    url,
    dir,
    startupMs: ready - t0,
    pids: () => [pid],
    stop: async () => {
      await stopChild(child, 'SIGTERM', 30_000);
      removeTempDir(dir);
    },
  };
}

/** A private RabbitMQ node, as conformance-tests/run-against-rabbitmq.sh starts one, but with no plugins. */
async function startRabbitMq(): Promise<Broker> {
  if (!fs.existsSync(path.join(RMQ_BIN, 'rabbitmq-server'))) {
    throw new Error(`${RMQ_BIN}/rabbitmq-server is missing (apt-get install rabbitmq-server), or use --only leveret`);
  }
  const dir = tempDir('leveret-bench-rmq-');
  for (const sub of ['home', 'mnesia', 'log']) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  fs.writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
  fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), '');
  const cookie = path.join(dir, 'home', '.erlang.cookie');
  fs.writeFileSync(cookie, Array.from({ length: 24 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join(''));
  fs.chmodSync(cookie, 0o400);
  const [amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const node = `leveret-bench-${process.pid}-${path.basename(dir).slice(-6)}@localhost`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: path.join(dir, 'home'),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
  };
  epmdPorts.add(epmdPort);
  const t0 = nowMs();
  const child = spawn(path.join(RMQ_BIN, 'rabbitmq-server'), [], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, env });
  children.add(child);
  const tail = outputTail(child);
  const url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
  let ready: number;
  try {
    ready = await awaitAmqp(url, child, 120_000, tail);
  } catch (err) {
    await stopChild(child, 'SIGTERM', 10_000);
    stopEpmd(epmdPort);
    removeTempDir(dir);
    throw err;
  }
  const pid = child.pid as number;
  let tree = processTree(pid);
  let treeAt = nowMs();
  return {
    name: 'rabbitmq',
    child,
    url,
    dir,
    startupMs: ready - t0,
    pids: () => {
      // The tree is stable once the node runs; refresh it now and then (helpers such as inet_gethost come and go).
      if (nowMs() - treeAt > 5000) {
        tree = processTree(pid);
        treeAt = nowMs();
      }
      return tree;
    },
    stop: async () => {
      // SIGTERM: the script stops the node (rabbitmqctl stop), beam.smp exits, then the script.
      await stopChild(child, 'SIGTERM', 60_000);
      stopEpmd(epmdPort);
      removeTempDir(dir);
    },
  };
}

export function startBroker(name: BrokerName): Promise<Broker> {
  if (name === 'leveret') return startLeveret();
  return name === 'leveret-pg' ? startLeveretOnPostgres() : startRabbitMq();
}
