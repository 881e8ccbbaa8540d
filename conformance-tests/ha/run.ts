/**
 * One ha-test run, start to end: PostgreSQL (postgres set-up) with one forwarder per node, the nodes under the
 * supervisor, the queues, publishers and consumers, the fault loop, then the finish (heal everything, SIGCONT
 * everything, wait for one active node, let the publishers get every id confirmed, drain every queue), the count
 * and the summary. Everything it started is stopped, by pid, before it returns; emergencyCleanup() does it
 * synchronously from a process 'exit' handler.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/protocol/test-support/random';
import { freePort } from '../../src/test-support/postgres';
import { Consumer, declareQueues, Publisher, queueDepths, type ClientSettings } from './clients';
import { runFaults, waitSettled, type FaultKind, type FaultLoopContext, type FaultRecord } from './faults';
import { startForwarder, type Forwarder, type PartitionStyle } from './forwarder';
import { Ledger } from './ledger';
import { startHaPostgres, type HaPostgres } from './postgres-control';
import { duplicatesPerFault, failoverStats, spread, verdict, type HaSummary } from './report';
import { killAllNodesNow, Supervisor } from './supervisor';
import type { NodeSpec, StoreKind } from './target';

export interface HaOptions {
  store: StoreKind;
  nodes: number;
  counts: Record<FaultKind, number>;
  seed: number;
  publishers: number;
  queues: number;
  consumersPerQueue: number;
  /** Unconfirmed ids per publisher at most. */
  window: number;
  prefetch: number;
  /** Acks a second per consumer at most until the finish (Infinity: as fast as it can), to keep a backlog. */
  consumerRate: number;
  /** Messages a second per publisher. */
  rate: number;
  heartbeatS: number;
  connectTimeoutMs: number;
  restartDelayMs: number;
  maxPauseMs: number;
  maxPartitionMs: number;
  partitionStyle: PartitionStyle | 'mixed';
  failoverTimeoutMs: number;
  settleTimeoutMs: number;
  gapMinMs: number;
  gapMaxMs: number;
  drainTimeoutMs: number;
  /** Failover p95 bounds (postgres only): the issue's 5 s for kill -9, 8 s for a pause or a partition. */
  p95Bounds: Partial<Record<FaultKind, number>>;
  /**
   * The harness's self-check (sqlite only): every node restart starts on an empty data directory, so confirmed
   * messages are lost and the run must fail.
   */
  sabotage: 'wipe-data' | undefined;
  /** Where the ledgers and node logs go (default: a new temp dir). */
  dir: string | undefined;
  log: (line: string) => void;
  shouldStop: () => boolean;
}

export function defaultOptions(): HaOptions {
  return {
    store: 'postgres',
    nodes: 2,
    counts: { kill: 50, pause: 20, partition: 20, 'pg-restart': 5 },
    seed: Date.now() >>> 0,
    publishers: 3,
    queues: 3,
    consumersPerQueue: 1,
    window: 100,
    prefetch: 50,
    consumerRate: Infinity,
    rate: 100,
    heartbeatS: 2,
    connectTimeoutMs: 1000,
    restartDelayMs: 500,
    maxPauseMs: 10_000,
    maxPartitionMs: 15_000,
    partitionStyle: 'mixed',
    failoverTimeoutMs: 60_000,
    settleTimeoutMs: 90_000,
    gapMinMs: 1000,
    gapMaxMs: 3000,
    drainTimeoutMs: 120_000,
    p95Bounds: { kill: 5000, pause: 8000, partition: 8000 },
    sabotage: undefined,
    dir: undefined,
    log: (line) => void process.stdout.write(`${line}\n`),
    shouldStop: () => false,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** PostgreSQL clusters of this process, destroyed synchronously on exit. */
const clusters = new Set<HaPostgres>();

export function emergencyCleanup(): void {
  killAllNodesNow();
  for (const pg of clusters) {
    try {
      pg.destroy();
    } catch {
      // best effort on the way out
    }
  }
  clusters.clear();
}

async function until(timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(250);
  }
  return false;
}

export async function runHa(o: HaOptions): Promise<HaSummary> {
  const began = Date.now();
  if (o.store === 'sqlite' && (o.counts.partition > 0 || o.counts['pg-restart'] > 0)) {
    throw new Error('partitions and PostgreSQL restarts need --store postgres');
  }
  if (o.store === 'sqlite' && o.nodes !== 1) throw new Error('--store sqlite runs one node');
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'leveret-ha-'));
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(o.seed | 0);
  const problems: string[] = [];
  const ledger = new Ledger(dir);
  let pg: HaPostgres | undefined;
  const forwarders: Forwarder[] = [];
  let sup: Supervisor | undefined;
  const publishers: Publisher[] = [];
  const consumers: Consumer[] = [];
  try {
    if (o.store === 'postgres') {
      pg = await startHaPostgres();
      clusters.add(pg);
      o.log(`postgres: ${pg.cluster.url} (${pg.cluster.dir})`);
    }
    const specs: NodeSpec[] = [];
    // freePort() closes the port it found, so the kernel may hand the same one out again: two nodes on one AMQP
    // port made every takeover fail with EADDRINUSE while the other node was paused (a CI run).
    const portsInUse = new Set<number>();
    const distinctPort = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (!portsInUse.has(port)) {
          portsInUse.add(port);
          return port;
        }
      }
    };
    for (let i = 0; i < o.nodes; i++) {
      const name = `n${i + 1}`;
      const dataDir = join(dir, `${name}-data`);
      mkdirSync(dataDir, { recursive: true });
      const spec: NodeSpec = { name, amqpPort: await distinctPort(), httpPort: await distinctPort(), dataDir };
      if (pg !== undefined) {
        const f = await startForwarder(pg.cluster.port);
        forwarders.push(f);
        spec.storeUrl = `postgres://leveret@127.0.0.1:${f.port}/leveret`;
      }
      specs.push(spec);
    }
    o.log(`nodes: ${specs.map((s) => `${s.name} amqp :${s.amqpPort} http :${s.httpPort}${s.storeUrl !== undefined ? ` store ${s.storeUrl}` : ''}`).join('; ')}`);
    sup = new Supervisor(o.store, specs, dir, o.restartDelayMs, o.sabotage === 'wipe-data');
    sup.startAll();
    const ctx: FaultLoopContext = {
      o: { ...o },
      rng,
      sup,
      forwarders,
      pg,
      ledger,
      log: o.log,
      shouldStop: o.shouldStop,
      problems,
      twoActive: { observations: 0, longestMs: 0, since: undefined },
    };
    if ((await waitSettled(ctx, o.settleTimeoutMs)) === undefined) {
      const tail = readFileSync(join(dir, `${specs[0]!.name}.log`), 'utf8').trimEnd().split('\n').slice(-8).join('\n');
      throw new Error(`no active node within ${o.settleTimeoutMs} ms (logs in ${dir}); the end of ${specs[0]!.name}.log:\n${tail}`);
    }

    const settings: ClientSettings = { nodes: specs, heartbeatS: o.heartbeatS, connectTimeoutMs: o.connectTimeoutMs, retryMs: 100 };
    const queues = Array.from({ length: o.queues }, (_, i) => `ha.q${i + 1}`);
    await declareQueues(settings, queues);
    for (const q of queues) {
      for (let k = 0; k < o.consumersPerQueue; k++) consumers.push(new Consumer(consumers.length, q, o.prefetch, ledger, settings));
    }
    for (const c of consumers) c.rate = o.consumerRate;
    for (let p = 0; p < o.publishers; p++) publishers.push(new Publisher(p, queues, o.window, o.rate, ledger, settings));
    for (const c of consumers) c.start();
    for (const p of publishers) p.start();
    o.log(
      `traffic: ${o.publishers} publishers x ${o.rate} msg/s, window ${o.window}; ${consumers.length} consumers, prefetch ${o.prefetch}` +
        `${o.consumerRate === Infinity ? '' : `, ${o.consumerRate} acks/s each`}; queues ${queues.join(' ')}`,
    );

    const faults: FaultRecord[] = await runFaults(ctx);

    // The finish: heal, wake, one active node, every id confirmed, every queue drained.
    o.log('finish: healing, resuming, draining');
    for (const f of forwarders) f.heal();
    sup.resumeAll();
    if ((await waitSettled(ctx, o.settleTimeoutMs)) === undefined) problems.push(`finish: no single active node within ${o.settleTimeoutMs} ms`);
    ledger.markRecovered();
    for (const p of publishers) p.noNew = true;
    for (const c of consumers) c.rate = Infinity;
    if (!(await until(o.drainTimeoutMs, () => publishers.every((p) => p.pending === 0)))) {
      problems.push(`finish: ${publishers.reduce((n, p) => n + p.pending, 0)} ids still unconfirmed after ${o.drainTimeoutMs} ms`);
    }
    let leftInQueues = -1;
    await until(o.drainTimeoutMs, async () => {
      const depths = await queueDepths(settings, queues, 5000);
      if (depths === undefined) return false;
      leftInQueues = depths.reduce((a, b) => a + b, 0);
      return leftInQueues === 0 && Date.now() - ledger.lastDeliveryAt > 1000;
    });
    await Promise.all([...publishers, ...consumers].map((c) => c.stop()));
    const after = await queueDepths(settings, queues, 10_000);
    leftInQueues = after === undefined ? Math.max(leftInQueues, 0) : after.reduce((a, b) => a + b, 0);
    if (after === undefined) problems.push('finish: could not read the queue depths after the drain');
    for (const c of consumers) problems.push(...c.problems.slice(0, 5));

    const checked = ledger.check();
    faults.forEach((f, i) => (f.duplicates = ledger.duplicatesPerFault[i + 1] ?? 0));
    const taken = sup.events.filter((e) => e.msg === 'became active');
    const num = (v: unknown): number[] => (typeof v === 'number' ? [v] : []);
    const partial = {
      store: o.store,
      nodes: o.nodes,
      seed: o.seed,
      durationS: (Date.now() - began) / 1000,
      dir,
      counts: checked.counts,
      leftInQueues,
      duplicateBound: (faults.length + 1) * (o.publishers * o.window + consumers.length * o.prefetch),
      duplicatesPerFault: duplicatesPerFault(faults, ledger.duplicatesPerFault[0] ?? 0, o.publishers * o.window + consumers.length * o.prefetch),
      failover: failoverStats(faults, o.store === 'postgres' ? o.p95Bounds : {}),
      takeovers: {
        count: taken.length,
        tookMs: spread(taken.flatMap((e) => num(e.record.tookMs))),
        leaderGoneMs: spread(taken.flatMap((e) => num(e.record.leaderGoneMs))),
      },
      twoActive: { observations: ctx.twoActive.observations, longestMs: ctx.twoActive.longestMs },
      forwarders: forwarders.map((f) => f.stats()),
      unexpectedExits: sup.exits
        .filter((e) => !e.byHarness)
        .map((e) => ({ node: e.node, code: e.code, signal: e.signal, at: new Date(e.t).toISOString() })),
      examples: checked.examples,
      faults,
    };
    const failed = verdict(partial, problems);
    const summary: HaSummary = { ...partial, ok: failed.length === 0, problems: failed };
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(join(dir, 'events.json'), `${JSON.stringify({ events: sup.events, exits: sup.exits }, null, 2)}\n`);
    return summary;
  } finally {
    await Promise.all([...publishers, ...consumers].map((c) => c.stop().catch(() => {})));
    await ledger.close();
    if (sup !== undefined) await sup.stopAll();
    for (const f of forwarders) await f.close();
    if (pg !== undefined) {
      pg.destroy();
      clusters.delete(pg);
    }
  }
}
