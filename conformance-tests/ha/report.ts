/**
 * The ha-test's summary: the ledger's counts, failover times per fault kind, the nodes' own takeover times, the
 * verdict, and the table printed at the end.
 */
import type { FaultKind, FaultRecord } from './faults';
import { FAULT_KINDS } from './faults';
import type { ForwarderStats } from './forwarder';
import type { LedgerCounts } from './ledger';

export interface Spread {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface FailoverStats extends Spread {
  /** Faults after which no confirm came within the failover timeout. */
  timeouts: number;
  /** The p95 this kind must stay within, when there is one. */
  p95Bound: number | null;
}

export interface HaSummary {
  ok: boolean;
  store: string;
  nodes: number;
  seed: number;
  durationS: number;
  dir: string;
  counts: LedgerCounts;
  /** Messages left in the queues after the drain (should be 0). */
  leftInQueues: number;
  /** (faults + 1) x (publishers x window + consumers x prefetch). */
  duplicateBound: number;
  /** Duplicates from each fault to the next, against publishers x window + consumers x prefetch. */
  duplicatesPerFault: DuplicatesPerFault;
  failover: Record<FaultKind, FailoverStats>;
  /** The nodes' "became active" lines: tookMs and leaderGoneMs as they logged them. */
  takeovers: { count: number; tookMs: Spread; leaderGoneMs: Spread };
  /** Probes that found two nodes claiming to be active (allowed for a few seconds after a woken leader). */
  twoActive: { observations: number; longestMs: number };
  /** Per node's forwarder: connections, bytes dropped, resets at heal. */
  forwarders: ForwarderStats[];
  /** Node exits the harness did not cause (a fenced leader exiting, a crash). */
  unexpectedExits: Array<{ node: string; code: number | null; signal: string | null; at: string }>;
  problems: string[];
  examples: string[];
  faults: FaultRecord[];
}

export interface DuplicatesPerFault {
  /** publishers x window + consumers x prefetch: what one failover may duplicate (the issue's bound). */
  bound: number;
  /** Duplicates before the first fault (should be 0). */
  beforeFaults: number;
  /** The most after one fault, per kind, and which fault it was. */
  maxByKind: Record<FaultKind, { max: number; fault: number | null; detail: string | null }>;
  /** Faults whose duplicates went over the bound. */
  over: number;
}

export function duplicatesPerFault(faults: readonly FaultRecord[], beforeFaults: number, bound: number): DuplicatesPerFault {
  const maxByKind = {} as DuplicatesPerFault['maxByKind'];
  for (const k of FAULT_KINDS) maxByKind[k] = { max: 0, fault: null, detail: null };
  for (const f of faults) {
    const m = maxByKind[f.kind];
    if (f.duplicates > m.max || m.fault === null) maxByKind[f.kind] = { max: f.duplicates, fault: f.n, detail: f.detail };
  }
  return { bound, beforeFaults, maxByKind, over: faults.filter((f) => f.duplicates > bound).length };
}

/** Nearest-rank percentile of a sorted list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function spread(values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return { count: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s.length > 0 ? s[s.length - 1]! : null };
}

export function failoverStats(faults: readonly FaultRecord[], bounds: Partial<Record<FaultKind, number>>): Record<FaultKind, FailoverStats> {
  const out = {} as Record<FaultKind, FailoverStats>;
  for (const k of FAULT_KINDS) {
    const mine = faults.filter((f) => f.kind === k);
    const times = mine.flatMap((f) => (f.failoverMs === undefined ? [] : [f.failoverMs]));
    out[k] = { ...spread(times), count: mine.length, timeouts: mine.length - times.length, p95Bound: bounds[k] ?? null };
  }
  return out;
}

/** Every reason the run failed; empty when it passed. */
export function verdict(s: Omit<HaSummary, 'ok' | 'problems'>, earlier: readonly string[]): string[] {
  const p = [...earlier];
  const c = s.counts;
  if (c.lost > 0) p.push(`${c.lost} confirmed messages lost`);
  if (c.unexpected > 0) p.push(`${c.unexpected} unexpected deliveries (never published, or on another queue)`);
  if (c.missingRedelivered > 0) p.push(`${c.missingRedelivered} deliveries of a copy delivered before, without the redelivered flag`);
  if (c.duplicates > s.duplicateBound) p.push(`${c.duplicates} duplicates, over the bound of ${s.duplicateBound}`);
  const d = s.duplicatesPerFault;
  if (d.over > 0) {
    const worst = FAULT_KINDS.filter((k) => d.maxByKind[k].max > d.bound).map((k) => `${k} up to ${d.maxByKind[k].max} (fault ${d.maxByKind[k].fault})`);
    p.push(`${d.over} faults duplicated more than the unconfirmed window plus prefetch (${d.bound}): ${worst.join(', ')}`);
  }
  if (d.beforeFaults > 0) p.push(`${d.beforeFaults} duplicates before the first fault`);
  if (c.returned > 0) p.push(`${c.returned} publishes returned unroutable (a queue missing)`);
  if (c.unconfirmedAtEnd > 0) p.push(`${c.unconfirmedAtEnd} messages still unconfirmed after the drain`);
  if (s.leftInQueues > 0) p.push(`${s.leftInQueues} messages left in the queues after the drain`);
  if (c.published === 0 || c.confirmed === 0) p.push('nothing was published and confirmed');
  for (const k of FAULT_KINDS) {
    const f = s.failover[k];
    if (f.timeouts > 0) p.push(`${k}: ${f.timeouts} faults without a confirm afterwards within the timeout`);
    if (f.p95Bound !== null && f.p95 !== null && f.p95 > f.p95Bound) p.push(`${k}: failover p95 ${f.p95} ms over ${f.p95Bound} ms`);
  }
  return p;
}

const ms = (v: number | null): string => (v === null ? '-' : `${(v / 1000).toFixed(2)} s`);

export function formatTable(s: HaSummary): string {
  const c = s.counts;
  const rows: Array<[string, string]> = [
    ['published (ids)', `${c.published} (${c.publishedCopies} copies sent)`],
    ['confirmed', String(c.confirmed)],
    ['received (unique)', `${c.received} (${c.deliveries} deliveries)`],
    ['lost', String(c.lost)],
    ['duplicates', `${c.duplicates} (redelivered ${c.redeliveries}, re-published copies ${c.republishedCopies}; bound ${s.duplicateBound})`],
    ['unexpected', String(c.unexpected)],
    ['dup without redelivered', `${c.missingRedelivered} (same id again without the flag, any copy: ${c.idAgainWithoutFlag})`],
    ['unconfirmed at end', String(c.unconfirmedAtEnd)],
    ['returned unroutable', String(c.returned)],
    ['left in queues', String(s.leftInQueues)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = [`ha-test: ${s.store}, ${s.nodes} node(s), seed ${s.seed}, ${s.durationS.toFixed(0)} s, ledgers in ${s.dir}`];
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(w)}  ${v}`);
  lines.push('', '  failover (fault -> first confirm)   count   p50       p95       max       timeouts  p95 bound  most dups after one');
  for (const k of FAULT_KINDS) {
    const f = s.failover[k];
    if (f.count === 0) continue;
    const d = s.duplicatesPerFault.maxByKind[k].max;
    lines.push(
      `  ${k.padEnd(34)} ${String(f.count).padStart(5)}   ${ms(f.p50).padEnd(9)} ${ms(f.p95).padEnd(9)} ${ms(f.max).padEnd(9)} ${String(f.timeouts).padStart(8)}  ${ms(f.p95Bound).padEnd(9)}  ${d} (bound ${s.duplicatesPerFault.bound})`,
    );
  }
  const t = s.takeovers;
  if (t.count > 0) {
    lines.push(`  nodes' "became active": ${t.count}; tookMs p50 ${t.tookMs.p50} p95 ${t.tookMs.p95} max ${t.tookMs.max}; leaderGoneMs p50 ${t.leaderGoneMs.p50} p95 ${t.leaderGoneMs.p95} max ${t.leaderGoneMs.max}`);
  }
  if (s.twoActive.observations > 0) lines.push(`  two nodes active at once: seen ${s.twoActive.observations} times, longest ${s.twoActive.longestMs} ms`);
  if (s.forwarders.length > 0) {
    const f = s.forwarders;
    lines.push(`  forwarders: ${f.map((x, i) => `n${i + 1} ${x.partitions} partitions, ${x.accepted} connections, ${x.droppedBytes} bytes dropped, ${x.resetAtHeal} reset at heal`).join('; ')}`);
  }
  if (s.unexpectedExits.length > 0) {
    lines.push(`  node exits the harness did not cause: ${s.unexpectedExits.map((e) => `${e.node} ${e.code ?? e.signal} at ${e.at}`).join(', ')}`);
  }
  lines.push('', s.ok ? 'PASS' : `FAIL: ${s.problems.join('; ')}`);
  for (const e of s.examples) lines.push(`  ${e}`);
  return lines.join('\n');
}
