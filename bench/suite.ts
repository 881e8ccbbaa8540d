/**
 * The comparison suite: throughput, latency and memory scenarios run against Leveret and RabbitMQ in the same run,
 * interleaved (and in alternating order across repetitions), so the numbers compare like with like.
 *
 *   npm run bench -- [--scenario a,b,...] [--repeat 3] [--duration 5] [--only leveret|rabbitmq]
 *   (npm run build && node -r ./bench/ts-register.cjs bench/suite.ts ...)
 *
 * Leveret runs as the compiled dist/main.js in its own process; RabbitMQ is Debian's rabbitmq-server started by
 * hand as a private node (no plugins) under a temp dir. Producers and consumers are separate processes using
 * amqplib: this same file, forked with `--worker <json>`. Output: one JSON line per measurement and per summary on
 * stdout, then the table; progress on stderr. See bench/README.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as amqp from 'amqplib';
import * as proc from './process';
import {
  alive,
  children,
  freePort,
  killChildrenSync,
  log,
  nowMs,
  removeTempDir,
  removeTempDirsSync,
  round,
  sleep,
  tempDir,
  totalCpuSeconds,
  totalRssMiB,
  waitExit,
} from './process';

const ROOT = path.resolve(__dirname, '..');
const BROKER_MAIN = path.join(ROOT, 'dist', 'main.js');
const RMQ_BIN = '/usr/lib/rabbitmq/bin';
/** A client process using at least this share of one core is reported as saturated (the load generator limits). */
const SATURATED_PCT = 90;

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

interface Latency {
  samples: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}
function summarize(samples: number[]): Latency {
  const s = Float64Array.from(samples).sort();
  const at = (q: number): number => (s.length === 0 ? 0 : (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number));
  return { samples: s.length, p50: round(at(0.5), 2), p99: round(at(0.99), 2), p999: round(at(0.999), 2), max: round(at(1), 2) };
}

// ---------------------------------------------------------------------------------------------------------------
// Worker processes
// ---------------------------------------------------------------------------------------------------------------

type WorkerConfig =
  | {
      role: 'producer';
      url: string;
      exchange: string;
      /** Routing keys, used in turn. */
      keys: string[];
      bodySize: number;
      persistent: boolean;
      /** > 0: confirm channel with at most this many unconfirmed; 0: no confirms. */
      confirmInFlight: number;
      /** Messages per second; 0: as fast as the connection drains. */
      rate: number;
      /** Write process.hrtime.bigint() into the first 8 body bytes (end-to-end latency). */
      stamp: boolean;
    }
  | { role: 'consumer'; url: string; queues: string[]; noAck: boolean; prefetch: number; stamped: boolean }
  | { role: 'connections'; url: string; count: number; concurrency: number }
  | { role: 'fake'; mode: 'sink' | 'source'; bodySize: number };

type Command = { cmd: 'start' } | { cmd: 'mark' } | { cmd: 'report' } | { cmd: 'stop' };

type WorkerMessage =
  | { type: 'ready'; port?: number }
  | { type: 'report'; count: number; elapsedMs: number; latency?: Latency }
  | { type: 'error'; message: string };

function send(m: WorkerMessage): void {
  process.send?.(m);
}

function onCommand(handler: (c: Command) => void): void {
  process.on('message', (m) => handler(m as Command));
  process.on('disconnect', () => process.exit(0));
}

async function connect(url: string): Promise<amqp.ChannelModel> {
  const conn = await amqp.connect(url);
  conn.on('error', (err: Error) => send({ type: 'error', message: `connection error: ${err.message}` }));
  return conn;
}

async function producer(cfg: Extract<WorkerConfig, { role: 'producer' }>): Promise<void> {
  const conn = await connect(cfg.url);
  const ch: amqp.Channel = cfg.confirmInFlight > 0 ? await conn.createConfirmChannel() : await conn.createChannel();
  ch.on('error', (err: Error) => send({ type: 'error', message: `channel error: ${err.message}` }));
  const fixed = Buffer.alloc(cfg.bodySize, 0x61);
  const opts: amqp.Options.Publish = cfg.persistent ? { persistent: true } : {};
  let running = false;
  let count = 0; // published (no confirms) or confirmed, since the mark
  let markedAt = nowMs();
  let measuring = false;
  let keyAt = 0;
  let outstanding = 0;
  let waitingDrain = false;
  const latencies: number[] = [];
  const nextKey = (): string => {
    const k = cfg.keys[keyAt] as string;
    keyAt = keyAt + 1 === cfg.keys.length ? 0 : keyAt + 1;
    return k;
  };
  const body = (): Buffer => {
    if (!cfg.stamp) return fixed;
    const b = Buffer.alloc(Math.max(8, cfg.bodySize), 0x61);
    b.writeBigInt64BE(process.hrtime.bigint(), 0);
    return b;
  };
  const onDrain = (): void => {
    waitingDrain = false;
    pump();
  };
  /** One publish; false when the channel's buffer is full ('drain' is awaited before the next). */
  const publishOne = (): boolean => {
    let ok: boolean;
    if (cfg.confirmInFlight > 0) {
      outstanding++;
      const sentAt = nowMs();
      const measured = measuring;
      ok = (ch as amqp.ConfirmChannel).publish(cfg.exchange, nextKey(), body(), opts, (err) => {
        outstanding--;
        if (err !== null && err !== undefined) {
          send({ type: 'error', message: `nacked: ${String(err)}` });
          return;
        }
        if (measuring) {
          count++;
          if (measured) latencies.push(nowMs() - sentAt);
        }
        if (!waitingDrain) pump();
      });
    } else {
      ok = ch.publish(cfg.exchange, nextKey(), body(), opts);
      count++;
    }
    if (!ok && !waitingDrain) {
      waitingDrain = true;
      ch.once('drain', onDrain);
    }
    return ok;
  };
  let scheduled = false;
  const pump = (): void => {
    if (!running || waitingDrain || cfg.rate > 0) return;
    if (cfg.confirmInFlight > 0) {
      while (running && outstanding < cfg.confirmInFlight && publishOne());
      return;
    }
    // Unbounded: publish in slices so the event loop (socket writes, IPC) keeps turning.
    for (let i = 0; i < 1000 && running; i++) if (!publishOne()) return;
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        pump();
      });
    }
  };
  let rateTimer: NodeJS.Timeout | undefined;
  let rateStart = 0;
  let rateSent = 0;
  const startRate = (): void => {
    rateStart = nowMs();
    rateTimer = setInterval(() => {
      const due = Math.floor(((nowMs() - rateStart) * cfg.rate) / 1000) - rateSent;
      for (let i = 0; i < due && !waitingDrain; i++) {
        rateSent++;
        publishOne();
      }
    }, 1);
  };
  onCommand((c) => {
    switch (c.cmd) {
      case 'start':
        running = true;
        if (cfg.rate > 0) startRate();
        else pump();
        break;
      case 'mark':
        count = 0;
        latencies.length = 0;
        measuring = true;
        markedAt = nowMs();
        break;
      case 'report':
        send({ type: 'report', count, elapsedMs: nowMs() - markedAt, latency: cfg.confirmInFlight > 0 ? summarize(latencies) : undefined });
        measuring = false;
        break;
      case 'stop':
        running = false;
        if (rateTimer) clearInterval(rateTimer);
        void Promise.race([conn.close(), sleep(3000)])
          .catch(() => undefined)
          .then(() => process.exit(0));
        break;
    }
  });
  send({ type: 'ready' });
}

async function consumer(cfg: Extract<WorkerConfig, { role: 'consumer' }>): Promise<void> {
  let count = 0;
  let markedAt = nowMs();
  const latencies: number[] = [];
  const conns: amqp.ChannelModel[] = [];
  // One connection per queue, so a broker can spread the queues over its cores.
  for (const queue of cfg.queues) {
    const conn = await connect(cfg.url);
    conns.push(conn);
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => send({ type: 'error', message: `channel error: ${err.message}` }));
    if (!cfg.noAck) await ch.prefetch(cfg.prefetch);
    await ch.consume(
      queue,
      (msg) => {
        if (msg === null) return;
        count++;
        if (cfg.stamped) latencies.push(Number(process.hrtime.bigint() - msg.content.readBigInt64BE(0)) / 1e6);
        if (!cfg.noAck) ch.ack(msg);
      },
      { noAck: cfg.noAck },
    );
  }
  onCommand((c) => {
    switch (c.cmd) {
      case 'mark':
        count = 0;
        latencies.length = 0;
        markedAt = nowMs();
        break;
      case 'report':
        send({ type: 'report', count, elapsedMs: nowMs() - markedAt, latency: cfg.stamped ? summarize(latencies) : undefined });
        break;
      case 'stop':
        void Promise.race([Promise.all(conns.map((c2) => c2.close())), sleep(3000)])
          .catch(() => undefined)
          .then(() => process.exit(0));
        break;
      default:
        break;
    }
  });
  send({ type: 'ready' });
}

async function connections(cfg: Extract<WorkerConfig, { role: 'connections' }>): Promise<void> {
  const conns: amqp.ChannelModel[] = [];
  let elapsedMs = 0;
  onCommand((c) => {
    switch (c.cmd) {
      case 'start': {
        const t0 = nowMs();
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < cfg.count) {
            next++;
            const conn = await connect(cfg.url);
            conns.push(conn);
            await conn.createChannel();
          }
        };
        Promise.all(Array.from({ length: cfg.concurrency }, lane)).then(
          () => {
            elapsedMs = nowMs() - t0;
            send({ type: 'report', count: conns.length, elapsedMs });
          },
          (err: Error) => send({ type: 'error', message: `opening connection ${conns.length + 1}: ${err.message}` }),
        );
        break;
      }
      case 'stop':
        void Promise.race([Promise.all(conns.map((c2) => c2.close().catch(() => undefined))), sleep(10_000)]).then(() =>
          process.exit(0),
        );
        break;
      default:
        break;
    }
  });
  send({ type: 'ready' });
}

async function fake(cfg: Extract<WorkerConfig, { role: 'fake' }>): Promise<void> {
  // Loaded here only: it pulls in the project's codec (TypeScript, through the require hook).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startFakeBroker } = require('./fake-broker') as typeof import('./fake-broker');
  const server = await startFakeBroker(cfg.mode, 0, cfg.bodySize);
  const address = server.address() as net.AddressInfo;
  onCommand((c) => {
    if (c.cmd === 'stop') process.exit(0);
  });
  send({ type: 'ready', port: address.port });
}

function runWorker(cfg: WorkerConfig): void {
  const run = { producer, consumer, connections, fake }[cfg.role] as (c: WorkerConfig) => Promise<void>;
  run(cfg).catch((err: unknown) => {
    send({ type: 'error', message: `${cfg.role}: ${err instanceof Error ? err.message : String(err)}` });
    setTimeout(() => process.exit(1), 100);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator: processes and /proc
// ---------------------------------------------------------------------------------------------------------------

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

function cleanupSync(): void {
  // A RabbitMQ node: its beam.smp and helpers are children of the script we spawned.
  killChildrenSync(processTree);
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

type BrokerName = 'leveret' | 'rabbitmq';

interface Broker {
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

async function startLeveret(): Promise<Broker> {
  if (!fs.existsSync(BROKER_MAIN)) throw new Error(`${BROKER_MAIN} is missing: run npm run build first`);
  const dir = tempDir('leveret-bench-suite-');
  const port = await freePort();
  const args = [BROKER_MAIN, '--port', String(port), '--bind', '127.0.0.1', '--http-port', '0', '--data-dir', dir];
  args.push('--log-level', 'warn');
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
    name: 'leveret',
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

function startBroker(name: BrokerName): Promise<Broker> {
  return name === 'leveret' ? startLeveret() : startRabbitMq();
}

type Worker = proc.Worker<WorkerConfig, Command, WorkerMessage>;

class WorkerGroup extends proc.WorkerGroup<WorkerConfig, Command, WorkerMessage> {
  constructor() {
    super(__filename);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------------

interface Options {
  scenarios: string[];
  repeat: number;
  durationS: number;
  warmupS: number;
  only: BrokerName | undefined;
}

type Result = Record<string, unknown> & { scenario: string; broker: string; run: number };

/** What a scenario measures, per broker: the headline metric and the other figures shown in the table. */
interface ScenarioDef {
  id: string;
  name: string;
  title: string;
  /** 'ceiling' runs without a broker. */
  kind: 'flow' | 'connections' | 'startup' | 'ceiling';
  metrics: { key: string; label: string; higherIsBetter: boolean }[];
  flow?: FlowSpec;
}

interface FlowSpec {
  bodySize: number;
  persistent: boolean;
  durable: boolean;
  confirmInFlight: number;
  rate: number;
  noAck: boolean;
  prefetch: number;
  stamp: boolean;
  /** Sets up exchanges/queues/bindings; returns what the workers use. */
  topology: (ch: amqp.Channel, tag: string) => Promise<{ exchange: string; keys: string[]; queues: string[] }>;
}

const singleQueue = (durable: boolean) => async (ch: amqp.Channel, tag: string) => {
  const q = `bench.${tag}`;
  await ch.assertQueue(q, { durable, autoDelete: false });
  return { exchange: '', keys: [q], queues: [q] };
};

const THROUGHPUT = [
  { key: 'deliveredPerS', label: 'delivered msg/s', higherIsBetter: true },
  { key: 'publishedPerS', label: 'published msg/s', higherIsBetter: true },
  { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
  { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
];

const SCENARIOS: ScenarioDef[] = [
  {
    id: 'a',
    name: 'transient-16',
    title: 'transient 16 B, 1 producer, 1 consumer (noAck)',
    kind: 'flow',
    metrics: THROUGHPUT,
    flow: { bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: true, prefetch: 0, stamp: false, topology: singleQueue(false) },
  },
  {
    id: 'b',
    name: 'transient-1k',
    title: 'transient 1 KiB, 1 producer, 1 consumer (noAck)',
    kind: 'flow',
    metrics: THROUGHPUT,
    flow: { bodySize: 1024, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: true, prefetch: 0, stamp: false, topology: singleQueue(false) },
  },
  {
    id: 'c',
    name: 'ack-1k',
    title: 'transient 1 KiB, manual ack, prefetch 100',
    kind: 'flow',
    metrics: THROUGHPUT,
    flow: { bodySize: 1024, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: false, prefetch: 100, stamp: false, topology: singleQueue(false) },
  },
  {
    id: 'd',
    name: 'confirm-1k',
    title: 'durable queue, persistent 1 KiB, confirms (1000 in flight), consumer acks (prefetch 100)',
    kind: 'flow',
    metrics: [
      { key: 'confirmedPerS', label: 'confirmed msg/s', higherIsBetter: true },
      { key: 'confirmP50Ms', label: 'confirm p50 ms', higherIsBetter: false },
      { key: 'confirmP99Ms', label: 'confirm p99 ms', higherIsBetter: false },
      { key: 'deliveredPerS', label: 'delivered msg/s', higherIsBetter: true },
      { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
      { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
    ],
    flow: { bodySize: 1024, persistent: true, durable: true, confirmInFlight: 1000, rate: 0, noAck: false, prefetch: 100, stamp: false, topology: singleQueue(true) },
  },
  {
    id: 'e',
    name: 'fanout-10',
    title: 'fanout exchange to 10 queues, a consumer each (noAck), 16 B',
    kind: 'flow',
    metrics: [
      { key: 'deliveredPerS', label: 'deliveries/s (all queues)', higherIsBetter: true },
      { key: 'publishedPerS', label: 'published msg/s', higherIsBetter: true },
      { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
      { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
    ],
    flow: {
      bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: true, prefetch: 0, stamp: false,
      topology: async (ch, tag) => {
        const ex = `bench.${tag}.fanout`;
        await ch.assertExchange(ex, 'fanout', { durable: false });
        const queues: string[] = [];
        for (let i = 0; i < 10; i++) {
          const q = `bench.${tag}.${i}`;
          await ch.assertQueue(q, { durable: false });
          await ch.bindQueue(q, ex, '');
          queues.push(q);
        }
        return { exchange: ex, keys: [''], queues };
      },
    },
  },
  {
    id: 'f',
    name: 'topic-1000',
    title: 'topic exchange, 1000 wildcard bindings over 10 queues, 1000 routing keys (1 match each), 16 B',
    kind: 'flow',
    metrics: [
      { key: 'deliveredPerS', label: 'routed msg/s', higherIsBetter: true },
      { key: 'publishedPerS', label: 'published msg/s', higherIsBetter: true },
      { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
      { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
    ],
    flow: {
      bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 0, noAck: true, prefetch: 0, stamp: false,
      topology: async (ch, tag) => {
        const ex = `bench.${tag}.topic`;
        await ch.assertExchange(ex, 'topic', { durable: false });
        const queues: string[] = [];
        for (let i = 0; i < 10; i++) {
          const q = `bench.${tag}.${i}`;
          await ch.assertQueue(q, { durable: false });
          queues.push(q);
        }
        // Binding i: "s<i%100>.*.k<i>" (even i) or "s<i%100>.#.k<i>" (odd i); key j "s<j%100>.m<j%7>.k<j>" matches
        // binding j only, so every message is routed to exactly one queue.
        const binds: Promise<unknown>[] = [];
        for (let i = 0; i < 1000; i++) {
          binds.push(ch.bindQueue(queues[i % 10] as string, ex, `s${i % 100}.${i % 2 === 0 ? '*' : '#'}.k${i}`));
        }
        await Promise.all(binds);
        const keys = Array.from({ length: 1000 }, (_, j) => `s${j % 100}.m${j % 7}.k${j}`);
        return { exchange: ex, keys, queues };
      },
    },
  },
  {
    id: 'g',
    name: 'latency-1000',
    title: 'fixed 1000 msg/s, 16 B, noAck consumer: end-to-end latency (hrtime in the body)',
    kind: 'flow',
    metrics: [
      { key: 'e2eP50Ms', label: 'latency p50 ms', higherIsBetter: false },
      { key: 'e2eP99Ms', label: 'latency p99 ms', higherIsBetter: false },
      { key: 'e2eP999Ms', label: 'latency p99.9 ms', higherIsBetter: false },
      { key: 'deliveredPerS', label: 'delivered msg/s', higherIsBetter: true },
      { key: 'brokerCpuPct', label: 'broker CPU %', higherIsBetter: false },
      { key: 'brokerPeakRssMiB', label: 'broker peak RSS MiB', higherIsBetter: false },
    ],
    flow: { bodySize: 16, persistent: false, durable: false, confirmInFlight: 0, rate: 1000, noAck: true, prefetch: 0, stamp: true, topology: singleQueue(false) },
  },
  {
    id: 'h',
    name: 'conns-1000',
    title: '1000 connections with a channel each (opened 20 at a time, one client process), fresh broker instance',
    kind: 'connections',
    metrics: [
      { key: 'openS', label: 'time to open s', higherIsBetter: false },
      { key: 'rssPerConnKiB', label: 'RSS per connection KiB', higherIsBetter: false },
      { key: 'rssBeforeMiB', label: 'RSS before MiB', higherIsBetter: false },
      { key: 'rssAfterMiB', label: 'RSS with 1000 MiB', higherIsBetter: false },
    ],
  },
  {
    id: 'i',
    name: 'startup',
    title: 'start-up (spawn -> first AMQP connection accepted) and idle RSS 2 s later, fresh instance',
    kind: 'startup',
    metrics: [
      { key: 'startupMs', label: 'start-up ms', higherIsBetter: false },
      { key: 'idleRssMiB', label: 'idle RSS MiB', higherIsBetter: false },
    ],
  },
  {
    id: 'ceiling',
    name: 'ceiling',
    title: 'client ceiling: amqplib producer -> sink, source -> amqplib consumer (no broker)',
    kind: 'ceiling',
    metrics: [
      { key: 'producer16PerS', label: 'producer 16 B msg/s', higherIsBetter: true },
      { key: 'consumer16PerS', label: 'consumer 16 B msg/s', higherIsBetter: true },
      { key: 'producer1kPerS', label: 'producer 1 KiB msg/s', higherIsBetter: true },
      { key: 'consumer1kPerS', label: 'consumer 1 KiB msg/s', higherIsBetter: true },
    ],
  },
];

function cpuPct(seconds: number, elapsedS: number): number {
  return round((seconds / elapsedS) * 100);
}

/** Measures one worker set for warm-up + duration: rates from the workers, CPU of broker and clients from /proc. */
async function measureWindow(
  opts: Options,
  group: WorkerGroup,
  brokerPids: () => number[],
  producers: Worker[],
  consumers: Worker[],
): Promise<{ elapsedS: number; pub: WorkerMessage & { type: 'report' }; con: WorkerMessage & { type: 'report' } | undefined; brokerCpu: number; pubCpu: number; conCpu: number; brokerRss: number; brokerPeakRss: number }> {
  for (const p of producers) p.command({ cmd: 'start' });
  await group.race(sleep(opts.warmupS * 1000));
  for (const w of [...producers, ...consumers]) w.command({ cmd: 'mark' });
  const pubPids = producers.map((w) => w.pid);
  const conPids = consumers.map((w) => w.pid);
  const b0 = totalCpuSeconds(brokerPids());
  const p0 = totalCpuSeconds(pubPids);
  const c0 = totalCpuSeconds(conPids);
  const t0 = nowMs();
  let brokerPeakRss = totalRssMiB(brokerPids());
  const sampler = setInterval(() => {
    brokerPeakRss = Math.max(brokerPeakRss, totalRssMiB(brokerPids()));
  }, 250);
  try {
    await group.race(sleep(opts.durationS * 1000));
  } finally {
    clearInterval(sampler);
  }
  const reports = [...producers, ...consumers].map((w) => w.next('report'));
  for (const w of [...producers, ...consumers]) w.command({ cmd: 'report' });
  const elapsedS = (nowMs() - t0) / 1000;
  const brokerCpu = cpuPct(totalCpuSeconds(brokerPids()) - b0, elapsedS);
  const pubCpu = cpuPct(totalCpuSeconds(pubPids) - p0, elapsedS);
  const conCpu = cpuPct(totalCpuSeconds(conPids) - c0, elapsedS);
  const brokerRss = round(totalRssMiB(brokerPids()));
  const all = await group.race(Promise.all(reports));
  return { elapsedS, pub: all[0]!, con: all[1], brokerCpu, pubCpu, conCpu, brokerRss, brokerPeakRss: round(Math.max(brokerPeakRss, brokerRss)) };
}

let tagSeq = 0;

async function flowScenario(def: ScenarioDef, broker: Broker, opts: Options, run: number): Promise<Result> {
  const spec = def.flow as FlowSpec;
  const tag = `${def.name}.${run}.${++tagSeq}`;
  const admin = await amqp.connect(broker.url);
  const group = new WorkerGroup();
  let topology: { exchange: string; keys: string[]; queues: string[] } | undefined;
  try {
    const ch = await admin.createChannel();
    topology = await spec.topology(ch, tag);
    const con = group.add('consumer', {
      role: 'consumer',
      url: broker.url,
      queues: topology.queues,
      noAck: spec.noAck,
      prefetch: spec.prefetch,
      stamped: spec.stamp,
    });
    await group.race(con.next('ready'));
    const pub = group.add('producer', {
      role: 'producer',
      url: broker.url,
      exchange: topology.exchange,
      keys: topology.keys,
      bodySize: spec.bodySize,
      persistent: spec.persistent,
      confirmInFlight: spec.confirmInFlight,
      rate: spec.rate,
      stamp: spec.stamp,
    });
    await group.race(pub.next('ready'));
    const m = await measureWindow(opts, group, () => broker.pids(), [pub], [con]);
    const conReport = m.con as WorkerMessage & { type: 'report' };
    const result: Result = {
      scenario: def.name,
      broker: broker.name,
      run,
      durationS: round(m.elapsedS, 2),
      bodySize: spec.bodySize,
      deliveredPerS: Math.round(conReport.count / (conReport.elapsedMs / 1000)),
      brokerCpuPct: m.brokerCpu,
      producerCpuPct: m.pubCpu,
      consumerCpuPct: m.conCpu,
      brokerRssMiB: m.brokerRss,
      brokerPeakRssMiB: m.brokerPeakRss,
    };
    if (spec.confirmInFlight > 0) {
      const l = m.pub.latency as Latency;
      Object.assign(result, {
        confirmedPerS: Math.round(m.pub.count / (m.pub.elapsedMs / 1000)),
        confirmP50Ms: l.p50,
        confirmP99Ms: l.p99,
        confirmMaxMs: l.max,
      });
    } else {
      result.publishedPerS = Math.round(m.pub.count / (m.pub.elapsedMs / 1000));
    }
    if (spec.stamp) {
      const l = conReport.latency as Latency;
      Object.assign(result, { e2eP50Ms: l.p50, e2eP99Ms: l.p99, e2eP999Ms: l.p999, e2eMaxMs: l.max, latencySamples: l.samples });
    }
    await group.stopAll();
    let depth = 0;
    for (const q of topology.queues) depth += (await ch.checkQueue(q)).messageCount;
    result.queueDepthAtEnd = depth;
    result.clientSaturated = m.pubCpu >= SATURATED_PCT || m.conCpu >= SATURATED_PCT;
    return result;
  } finally {
    await group.stopAll();
    // Clean the broker for the next scenario; a fresh channel in case the first one was closed.
    if (topology !== undefined) {
      try {
        const ch = await admin.createChannel();
        for (const q of topology.queues) await ch.deleteQueue(q);
        if (topology.exchange !== '') await ch.deleteExchange(topology.exchange);
      } catch (err) {
        log(`cleanup on ${broker.name}: ${(err as Error).message}`);
      }
    }
    await admin.close().catch(() => undefined);
  }
}

async function connectionsScenario(def: ScenarioDef, broker: Broker, _opts: Options, run: number): Promise<Result> {
  const count = 1000;
  const group = new WorkerGroup();
  try {
    const w = group.add('connections', { role: 'connections', url: broker.url, count, concurrency: 20 });
    await group.race(w.next('ready'));
    await sleep(500);
    const before = totalRssMiB(broker.pids());
    const b0 = totalCpuSeconds(broker.pids());
    const report = w.next('report');
    w.command({ cmd: 'start' });
    const r = await group.race(report);
    const brokerCpuS = totalCpuSeconds(broker.pids()) - b0;
    await sleep(1000);
    const after = totalRssMiB(broker.pids());
    return {
      scenario: def.name,
      broker: broker.name,
      run,
      connections: r.count,
      openS: round(r.elapsedMs / 1000, 2),
      connectionsPerS: Math.round(r.count / (r.elapsedMs / 1000)),
      brokerCpuS: round(brokerCpuS, 2),
      rssBeforeMiB: round(before),
      rssAfterMiB: round(after),
      rssPerConnKiB: round(((after - before) * 1024) / r.count),
    };
  } finally {
    await group.stopAll();
  }
}

async function startupScenario(def: ScenarioDef, name: BrokerName, run: number): Promise<Result> {
  const broker = await startBroker(name);
  try {
    await sleep(2000);
    return {
      scenario: def.name,
      broker: name,
      run,
      startupMs: Math.round(broker.startupMs),
      idleRssMiB: round(totalRssMiB(broker.pids())),
      processes: broker.pids().length,
    };
  } finally {
    await broker.stop();
  }
}

async function ceilingScenario(def: ScenarioDef, opts: Options, run: number): Promise<Result> {
  const result: Result = { scenario: def.name, broker: 'none', run };
  for (const bodySize of [16, 1024]) {
    const label = bodySize === 16 ? '16' : '1k';
    // Producer against the sink.
    {
      const group = new WorkerGroup();
      try {
        const sink = group.add('sink', { role: 'fake', mode: 'sink', bodySize });
        const { port } = await group.race(sink.next('ready'));
        const url = `amqp://guest:guest@127.0.0.1:${port as number}`;
        const pub = group.add('producer', {
          role: 'producer', url, exchange: '', keys: ['bench'], bodySize, persistent: false, confirmInFlight: 0, rate: 0, stamp: false,
        });
        await group.race(pub.next('ready'));
        const m = await measureWindow(opts, group, () => [sink.pid], [pub], []);
        result[`producer${label}PerS`] = Math.round(m.pub.count / (m.pub.elapsedMs / 1000));
        result[`producer${label}CpuPct`] = m.pubCpu;
        result[`sink${label}CpuPct`] = m.brokerCpu;
      } finally {
        await group.stopAll();
      }
    }
    // Consumer fed by the source.
    {
      const group = new WorkerGroup();
      try {
        const source = group.add('source', { role: 'fake', mode: 'source', bodySize });
        const { port } = await group.race(source.next('ready'));
        const url = `amqp://guest:guest@127.0.0.1:${port as number}`;
        const con = group.add('consumer', { role: 'consumer', url, queues: ['bench'], noAck: true, prefetch: 0, stamped: false });
        await group.race(con.next('ready'));
        await group.race(sleep(opts.warmupS * 1000));
        con.command({ cmd: 'mark' });
        const c0 = totalCpuSeconds([con.pid]);
        const s0 = totalCpuSeconds([source.pid]);
        const t0 = nowMs();
        await group.race(sleep(opts.durationS * 1000));
        const rep = con.next('report');
        con.command({ cmd: 'report' });
        const elapsedS = (nowMs() - t0) / 1000;
        const conCpu = cpuPct(totalCpuSeconds([con.pid]) - c0, elapsedS);
        const srcCpu = cpuPct(totalCpuSeconds([source.pid]) - s0, elapsedS);
        const r = await group.race(rep);
        result[`consumer${label}PerS`] = Math.round(r.count / (r.elapsedMs / 1000));
        result[`consumer${label}CpuPct`] = conCpu;
        result[`source${label}CpuPct`] = srcCpu;
      } finally {
        // The consumer is flooded: its close handshake may never get through; stop() kills it after its timeout.
        await group.stopAll();
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Summary and table
// ---------------------------------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}
function stat(results: Result[], key: string): Stat | undefined {
  const xs = results.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  if (xs.length === 0) return undefined;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

function fmt(n: number): string {
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en');
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
function fmtStat(s: Stat | undefined): string {
  if (s === undefined) return '-';
  return s.n === 1 ? fmt(s.median) : `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})`;
}

function summarizeAll(results: Result[], opts: Options): string[] {
  const lines: string[] = [];
  const ceilingLines: string[] = [];
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const ceiling = results.filter((r) => r.scenario === 'ceiling');
  const ceil16 = Math.min(stat(ceiling, 'producer16PerS')?.median ?? Infinity, stat(ceiling, 'consumer16PerS')?.median ?? Infinity);
  const ceil1k = Math.min(stat(ceiling, 'producer1kPerS')?.median ?? Infinity, stat(ceiling, 'consumer1kPerS')?.median ?? Infinity);
  lines.push(row(['scenario', 'metric', 'Leveret median (min-max)', 'RabbitMQ median (min-max)', 'Leveret/RabbitMQ', 'notes']));
  lines.push(row(['---', '---', '---:', '---:', '---:', '---']));
  for (const def of SCENARIOS) {
    if (!opts.scenarios.includes(def.name)) continue;
    const mine = results.filter((r) => r.scenario === def.name);
    if (mine.length === 0) continue;
    const lev = mine.filter((r) => r.broker === 'leveret');
    const rmq = mine.filter((r) => r.broker === 'rabbitmq');
    for (const m of def.metrics) {
      const notes: string[] = [];
      if (def.kind === 'ceiling') {
        const s = stat(mine, m.key);
        const cpu = stat(mine, m.key.replace('PerS', 'CpuPct'));
        if (cpu) notes.push(`client CPU ${fmt(cpu.median)} %${cpu.median >= SATURATED_PCT ? ' (saturated)' : ''}`);
        ceilingLines.push(row([m.label, fmtStat(s), notes.join('; ')]));
        continue;
      }
      const l = stat(lev, m.key);
      const r = stat(rmq, m.key);
      const ratio = l && r && r.median !== 0 ? `${(l.median / r.median).toFixed(2)}` : '-';
      if (m === def.metrics[0]) {
        const ceil = def.name === 'transient-16' ? ceil16 : def.name === 'transient-1k' ? ceil1k : Infinity;
        if (Number.isFinite(ceil)) {
          const frac = (s: Stat | undefined): string => (s ? `${((s.median / ceil) * 100).toFixed(0)} %` : '-');
          notes.push(`of client ceiling ${fmt(ceil)}/s: Leveret ${frac(l)}, RabbitMQ ${frac(r)}`);
        }
        for (const [name, set] of [['Leveret', lev], ['RabbitMQ', rmq]] as const) {
          const sat = set.filter((x) => x.clientSaturated === true).length;
          if (sat > 0) {
            const pc = stat(set, 'producerCpuPct');
            const cc = stat(set, 'consumerCpuPct');
            notes.push(`${name}: client saturated in ${sat}/${set.length} (producer ${fmt(pc?.median ?? 0)} %, consumer ${fmt(cc?.median ?? 0)} %)`);
          }
        }
        const depthL = stat(lev, 'queueDepthAtEnd');
        const depthR = stat(rmq, 'queueDepthAtEnd');
        if ((depthL?.max ?? 0) > 10_000 || (depthR?.max ?? 0) > 10_000) {
          notes.push(`queue depth at end: Leveret ${fmt(depthL?.median ?? 0)}, RabbitMQ ${fmt(depthR?.median ?? 0)}`);
        }
      }
      lines.push(row([`${def.id}. ${def.name}`, m.label, fmtStat(l), fmtStat(r), ratio, notes.join('; ')]));
    }
  }
  if (ceilingLines.length > 0) {
    lines.push('', 'Client ceiling (amqplib against bench/fake-broker.ts, no broker):', '');
    lines.push(row(['client', 'msg/s median (min-max)', 'notes']), row(['---', '---:', '---']), ...ceilingLines);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------------

const USAGE = `usage: npm run bench -- [options]
  --scenario <list>   comma list of names or letters (default: all):
${SCENARIOS.map((s) => `      ${s.id.padEnd(8)} ${s.name.padEnd(14)} ${s.title}`).join('\n')}
  --repeat <n>        repetitions, brokers interleaved, order alternating (default 3)
  --duration <s>      measured seconds per throughput/latency run (default 4)
  --warmup <s>        unmeasured seconds before each (default 2)
  --only leveret|rabbitmq
`;

function parseOptions(argv: string[]): Options {
  const opts: Options = { scenarios: SCENARIOS.map((s) => s.name), repeat: 3, durationS: 4, warmupS: 2, only: undefined };
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
        const v = value();
        if (v !== 'leveret' && v !== 'rabbitmq') throw new Error(`--only leveret|rabbitmq, not ${v}`);
        opts.only = v;
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
  const names: BrokerName[] = opts.only ? [opts.only] : ['leveret', 'rabbitmq'];
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
          log(`run ${run}: ${def.name}`);
          const r = { ...(await ceilingScenario(def, opts, run)) };
          emit(r);
          results.push(r);
          continue;
        }
        const order = (run + k) % 2 === 0 ? names : [...names].reverse();
        for (const name of order) {
          log(`run ${run}: ${def.name} on ${name}`);
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
          }
          else r = await flowScenario(def, brokers.get(name)!, opts, run);
          emit(r);
          results.push(r);
          const shown = def.metrics.map((m) => `${m.key}=${String(r[m.key])}`).join(' ');
          log(`  ${shown}${r.clientSaturated ? ' (client saturated)' : ''}`);
        }
      }
    }
  } finally {
    for (const b of brokers.values()) await b.stop();
  }
  const lines = summarizeAll(results, opts);
  for (const def of SCENARIOS) {
    if (!opts.scenarios.includes(def.name)) continue;
    for (const m of def.metrics) {
      const entry: Record<string, unknown> = { summary: def.name, metric: m.key };
      for (const b of ['leveret', 'rabbitmq', 'none']) {
        const s = stat(results.filter((r) => r.scenario === def.name && r.broker === b), m.key);
        if (s) entry[b] = s;
      }
      if (Object.keys(entry).length > 2) emit(entry);
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
