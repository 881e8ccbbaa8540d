/**
 * The ha-test's fault loop: the faults in a seeded random order, one at a time, with steady traffic throughout.
 *
 * Before each fault the cluster must be settled: every node up (postgres: each answers GET /api/leveret/ha; the
 * node the last fault killed has been restarted by the supervisor and is a standby), exactly one active node, and a
 * confirm of a message published after that moment; then a random gap of normal traffic, and the nodes are asked
 * again which one is active (leadership may have moved in the gap). Then, against that node:
 *  - kill: SIGKILL; the supervisor starts it again after its restart pause.
 *  - pause: SIGSTOP; SIGCONT once a publisher has a confirm again (the takeover) or after a bound (max-pause-ms);
 *    with one SQLite node there is no takeover, so the pause lasts a random 0.5 s to the bound.
 *  - partition: the node's forwarder to PostgreSQL drops (or holds) every byte; healed once a publisher has a
 *    confirm again or after a bound (max-partition-ms).
 *  - pg-restart: PostgreSQL stopped (-m fast or immediate, at random) and started again.
 * The failover time of a fault is from the fault (for a PostgreSQL restart: from the moment it is down) to the first confirm, by any publisher, of a message published at
 * or after the fault: what a client sees. The nodes' own "became active" lines in that time are kept beside it.
 */
import type { Rng } from '../../src/protocol/test-support/random';
import type { Forwarder, PartitionStyle } from './forwarder';
import type { Ledger } from './ledger';
import type { HaPostgres, RestartMode } from './postgres-control';
import type { Supervisor } from './supervisor';
import { isActive, isUp, probe, type StoreKind } from './target';

export type FaultKind = 'kill' | 'pause' | 'partition' | 'pg-restart';
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition', 'pg-restart'];

export interface Takeover {
  node: string;
  epoch: number | undefined;
  tookMs: number | undefined;
  leaderGoneMs: number | undefined;
}

export interface FaultRecord {
  n: number;
  kind: FaultKind;
  /** The node it hit (pg-restart: the active node at the time). */
  node: string;
  /** fast/immediate, drop/hold, or how long the pause lasted. */
  detail: string;
  at: string;
  /** Fault to the first confirm of a message published after it; undefined when none came within the timeout. */
  failoverMs: number | undefined;
  takeovers: Takeover[];
  /** Deliveries of an id delivered before that this fault caused (ledger.ts; filled in at the end). */
  duplicates: number;
}

export interface FaultLoopOptions {
  store: StoreKind;
  counts: Record<FaultKind, number>;
  maxPauseMs: number;
  maxPartitionMs: number;
  partitionStyle: PartitionStyle | 'mixed';
  failoverTimeoutMs: number;
  settleTimeoutMs: number;
  gapMinMs: number;
  gapMaxMs: number;
}

export interface FaultLoopContext {
  o: FaultLoopOptions;
  rng: Rng;
  sup: Supervisor;
  /** The forwarder of node i, at index i ('postgres' only). */
  forwarders: Forwarder[];
  pg: HaPostgres | undefined;
  ledger: Ledger;
  log: (line: string) => void;
  /** Checked between faults. */
  shouldStop: () => boolean;
  /** Things that went wrong outside the ledger (the cluster did not settle, two active nodes for too long). */
  problems: string[];
  /** Probes that found two nodes active at once (a woken old leader before it notices), and the longest spell. */
  twoActive: { observations: number; longestMs: number; since: number | undefined };
}

/**
 * How long two nodes may both claim to be active: a paused leader woken after losing leadership "stops accepting
 * AMQP work within a few seconds" (the issue); its writes fail on the epoch meanwhile, which the count checks.
 */
const TWO_ACTIVE_GRACE_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The faults to inject, shuffled with the run's seed. */
export function faultPlan(counts: Record<FaultKind, number>, rng: Rng): FaultKind[] {
  const plan: FaultKind[] = [];
  for (const k of FAULT_KINDS) for (let i = 0; i < counts[k]; i++) plan.push(k);
  for (let i = plan.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  return plan;
}

/** Index of the one active node, once every node is up; undefined if that does not happen within timeoutMs. */
export async function waitSettled(ctx: FaultLoopContext, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let lastSeen = '';
  while (Date.now() < deadline) {
    const probes = await Promise.all(ctx.sup.nodes.map((n) => (n.running && !n.paused ? probe(ctx.o.store, n.spec) : undefined)));
    const active = probes.flatMap((p, i) => (p !== undefined && isActive(ctx.o.store, p) ? [i] : []));
    const allUp = probes.every((p) => p !== undefined && isUp(ctx.o.store, p));
    lastSeen = probes.map((p, i) => `${ctx.sup.nodes[i]!.spec.name}=${p === undefined ? 'down' : p.ha?.role ?? (p.amqp ? 'amqp' : 'silent')}`).join(' ');
    const two = ctx.twoActive;
    if (active.length > 1) {
      two.observations++;
      two.since ??= Date.now();
      const spell = Date.now() - two.since;
      two.longestMs = Math.max(two.longestMs, spell);
      if (spell > TWO_ACTIVE_GRACE_MS) {
        const note = `two nodes active at once for over ${TWO_ACTIVE_GRACE_MS} ms: ${lastSeen}`;
        if (!ctx.problems.includes(note)) ctx.problems.push(note);
      }
    } else two.since = undefined;
    if (allUp && active.length === 1) return active[0];
    await sleep(200);
  }
  ctx.log(`  not settled after ${timeoutMs} ms: ${lastSeen}`);
  return undefined;
}

function takeoversBetween(ctx: FaultLoopContext, from: number, to: number): Takeover[] {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  return ctx.sup.events
    .filter((e) => e.msg === 'became active' && e.t >= from && e.t <= to)
    .map((e) => ({ node: e.node, epoch: num(e.record.epoch), tookMs: num(e.record.tookMs), leaderGoneMs: num(e.record.leaderGoneMs) }));
}

interface Injected {
  detail: string;
  /** When the fault took effect: the signal or the partition, or PostgreSQL being down (its stop returned). */
  t0: number;
  /** The first confirm of a message published at or after t0. */
  recovered: Promise<number | undefined>;
}

async function inject(ctx: FaultLoopContext, kind: FaultKind, a: number): Promise<Injected> {
  const node = ctx.sup.nodes[a]!;
  ctx.ledger.markFault();
  const t0 = Date.now();
  const recovered = ctx.ledger.waitConfirmAfter(t0, ctx.o.failoverTimeoutMs);
  switch (kind) {
    case 'kill':
      node.signal('SIGKILL');
      return { detail: 'SIGKILL', t0, recovered };
    case 'pause': {
      node.signal('SIGSTOP');
      if (ctx.o.store === 'sqlite') await sleep(500 + ctx.rng.int(Math.max(1, ctx.o.maxPauseMs - 500)));
      else await Promise.race([recovered, sleep(ctx.o.maxPauseMs)]);
      node.signal('SIGCONT');
      return { detail: `paused ${Date.now() - t0} ms`, t0, recovered };
    }
    case 'partition': {
      const f = ctx.forwarders[a];
      if (f === undefined) throw new Error('a partition needs the postgres set-up');
      const style: PartitionStyle = ctx.o.partitionStyle === 'mixed' ? (ctx.rng.bool() ? 'drop' : 'hold') : ctx.o.partitionStyle;
      f.partition(style);
      await Promise.race([recovered, sleep(ctx.o.maxPartitionMs)]);
      f.heal();
      return { detail: `${style}, healed after ${Date.now() - t0} ms`, t0, recovered };
    }
    case 'pg-restart': {
      if (ctx.pg === undefined) throw new Error('a PostgreSQL restart needs the postgres set-up');
      const mode: RestartMode = ctx.rng.bool() ? 'fast' : 'immediate';
      await ctx.pg.stop(mode);
      // Measured from the moment PostgreSQL is down: a message published while it was stopping may still commit.
      const down = Date.now();
      const back = ctx.ledger.waitConfirmAfter(down, ctx.o.failoverTimeoutMs);
      await ctx.pg.start();
      return { detail: `${mode}: stopping took ${down - t0} ms, down for ${Date.now() - down} ms`, t0: down, recovered: back };
    }
  }
}

export async function runFaults(ctx: FaultLoopContext): Promise<FaultRecord[]> {
  const plan = faultPlan(ctx.o.counts, ctx.rng);
  const records: FaultRecord[] = [];
  ctx.log(`fault plan (${plan.length}): ${plan.join(' ')}`);
  for (let n = 0; n < plan.length; n++) {
    if (ctx.shouldStop()) break;
    const kind = plan[n]!;
    const a = await waitSettled(ctx, ctx.o.settleTimeoutMs);
    if (a === undefined) {
      ctx.problems.push(`before fault ${n + 1} (${kind}): no single active node with every node up within ${ctx.o.settleTimeoutMs} ms`);
      break;
    }
    const flowing = await ctx.ledger.waitConfirmAfter(Date.now(), ctx.o.settleTimeoutMs);
    if (flowing === undefined) {
      ctx.problems.push(`before fault ${n + 1} (${kind}): no confirm within ${ctx.o.settleTimeoutMs} ms on a settled cluster`);
      break;
    }
    await sleep(ctx.o.gapMinMs + ctx.rng.int(Math.max(1, ctx.o.gapMaxMs - ctx.o.gapMinMs)));
    if (ctx.shouldStop()) break;
    // Leadership may have moved during the gap (a PostgreSQL restart's aftermath): ask again, just before the fault.
    const target = await waitSettled(ctx, ctx.o.settleTimeoutMs);
    if (target === undefined) {
      ctx.problems.push(`before fault ${n + 1} (${kind}): the cluster fell apart during the gap`);
      break;
    }
    const { detail, t0, recovered } = await inject(ctx, kind, target);
    const confirmAt = await recovered;
    ctx.ledger.markRecovered();
    const failoverMs = confirmAt === undefined ? undefined : confirmAt - t0;
    const r: FaultRecord = {
      n: n + 1,
      kind,
      node: ctx.sup.nodes[target]!.spec.name,
      detail,
      at: new Date(t0).toISOString(),
      failoverMs,
      takeovers: takeoversBetween(ctx, t0, confirmAt ?? Date.now()),
      duplicates: 0,
    };
    records.push(r);
    const took = r.takeovers.map((t) => `${t.node} became active (epoch ${t.epoch}, took ${t.tookMs} ms, leader gone ${t.leaderGoneMs} ms)`);
    ctx.log(
      `fault ${r.n}/${plan.length} ${kind} of ${r.node} (${detail}): ` +
        (failoverMs === undefined ? `NO confirm within ${ctx.o.failoverTimeoutMs} ms` : `first confirm after ${failoverMs} ms`) +
        (took.length > 0 ? `; ${took.join('; ')}` : ''),
    );
  }
  return records;
}
