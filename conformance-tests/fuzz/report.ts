/** The fuzz run's report: the verdict (what failed, what deserves a warning) and its text. */
import type { AttackStats } from './attacker';
import type { GoodReport } from './good-client';
import type { Liveness, PollStats } from './liveness';
import type { FuzzOptions } from './options';

/** Client-side fallout (drops, failed logins) this long before a crash's fatal record is put down to the crash. */
export const CRASH_SLACK_MS = 2000;

export interface CrashInfo {
  /** Error and the first broker source frame: crashes with the same signature are the same bug. */
  signature: string;
  phase: string;
  frames: number;
  mutated: number;
  connections: number;
  elapsedMs: number;
  description: string;
  file: string;
}

export interface RestartInfo {
  why: string;
  stop: string;
  start: string;
  ok: boolean;
}

export interface FuzzReport {
  seed: number;
  rich: boolean;
  durationMs: number;
  attackMs: number;
  target: string;
  stats: AttackStats;
  crashes: CrashInfo[];
  restarts: RestartInfo[];
  good: GoodReport | undefined;
  liveness: Liveness | undefined;
  finalRestart: string | undefined;
  peakRssMb: number | undefined;
  maxRssMb: number;
  management: PollStats;
  brokerErrors: Array<{ message: string; count: number; stack: string }>;
  failures: string[];
  warnings: string[];
  outDir: string;
  dataDir: string | undefined;
}

/** What the verdict reads from a run. */
export interface RunState {
  o: FuzzOptions;
  stats: AttackStats;
  started: number;
  attackMs: number;
  crashes: CrashInfo[];
  crashTimes: number[];
  restarts: RestartInfo[];
  failures: string[];
  warnings: string[];
  management: PollStats;
  peakRssBytes: number;
  aborted: boolean;
  dataDirs: string[];
  brokerErrors: Map<string, { count: number; stack: string }>;
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

function sorted(m: Map<string, number>): Array<[string, number]> {
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

export function formatReport(r: FuzzReport): string {
  const s = r.stats;
  const lines: string[] = [];
  const out = (l = ''): number => lines.push(l);
  out();
  out(`== Leveret fuzz report: seed ${r.seed}${r.rich ? ' (rich)' : ''}, ${r.target}, ${(r.durationMs / 1000).toFixed(1)} s ==`);
  const secs = Math.max(0.001, r.attackMs / 1000);
  out(`frames sent        ${n(s.frames)} (${n(s.mutated)} mutated) in ${secs.toFixed(1)} s of attack: ${n(Math.round(s.frames / secs))} frames/s, ${n(Math.round(s.mutated / secs))} mutated/s, ${n(Math.round(s.connections / secs))} connections/s`);
  out(`connections        ${n(s.connections)} (${n(s.connectErrors)} connect errors, ${n(s.handshakeFailures.length)} valid logins not completed)`);
  out(`deliveries seen    ${n(s.deliveries)} by attackers`);
  const bySignature = new Map<string, number>();
  for (const c of r.crashes) bySignature.set(c.signature, (bySignature.get(c.signature) ?? 0) + 1);
  out(`broker crashes     ${r.crashes.length}${r.crashes.length > 0 ? ` (${bySignature.size} distinct)` : ''}`);
  for (const [sig, count] of bySignature) out(`  ${String(count).padStart(4)} x ${sig}`);
  for (const c of r.crashes.slice(0, 10)) {
    out(`  - ${c.phase}, after ${n(c.mutated)} mutated / ${n(c.frames)} frames / ${n(c.connections)} connections (${(c.elapsedMs / 1000).toFixed(1)} s)`);
    out(`    ${c.description.split('\n').slice(0, 8).join('\n    ')}`);
    out(`    crash file: ${c.file}`);
  }
  out(`peak broker RSS    ${r.peakRssMb !== undefined ? `${r.peakRssMb.toFixed(0)} MiB (bound ${r.maxRssMb} MiB)` : 'n/a (external broker)'}`);
  out('close codes received:');
  for (const [k, v] of sorted(s.closes)) out(`  ${String(n(v)).padStart(9)}  ${k}`);
  const o = oracleTotals(s);
  out(`oracle             ${n(o.probes)} bad frames with a known answer: ${n(o.ok)} answered right, ${n(o.mismatched)} wrong, ${n(o.excused)} not judged (run stopping, broker down)`);
  for (const [cls, c] of [...s.oracle.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const wrong = [...c.mismatches.entries()].map(([k, v]) => `${k} x${v}`).join('; ');
    out(`  ${cls.padEnd(28)} ${String(c.ok).padStart(6)}/${String(c.probes).padEnd(6)} expected ${c.expected}${wrong !== '' ? `; GOT ${wrong}` : ''}`);
    for (const x of c.samples.slice(0, 2)) out(`      #${x.connection}: ${x.probe.slice(0, 200)} -> ${x.got}`);
  }
  out('mutations sent:');
  out(`  ${sorted(s.mutations).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  if (r.good !== undefined) {
    const g = r.good;
    out(`good client        published ${n(g.published)}, confirmed ${n(g.confirmed)}, delivered ${n(g.delivered)}, lost ${n(g.lost)}, duplicated ${n(g.duplicates)}, unconfirmed ${n(g.unconfirmed)}`);
    out(`                   reconnects ${g.reconnects}, unexpected disconnects ${g.unexpectedDisconnects}, max confirm latency ${g.maxConfirmLatencyMs} ms, queue ${g.queue}`);
  } else {
    out('good client        not checked');
  }
  for (const rs of r.restarts) out(`restart (${rs.why}): stop ${rs.stop}; start ${rs.start}`);
  if (r.liveness !== undefined) {
    out(`liveness           amqp ${r.liveness.amqp}; GET /api/overview ${r.liveness.overview}`);
  }
  if (r.finalRestart !== undefined) out(`final restart      ${r.finalRestart}`);
  out(`management polls   ${n(r.management.polls)} (${r.management.failures} failed)`);
  if (r.brokerErrors.length > 0) {
    out('broker error records (level error), by message:');
    for (const e of r.brokerErrors.slice(0, 15)) {
      out(`  ${String(n(e.count)).padStart(7)}  ${e.message.slice(0, 200)}`);
      const frame = e.stack.split('\n').slice(1, 3).map((l) => l.trim()).join(' < ');
      if (frame !== '') out(`           at ${frame.slice(0, 220)}`);
    }
  }
  if (s.echoedBytes > 0) out(`echoed bytes       ${n(s.echoedBytes)} method(s) carried back non-UTF-8 bytes a client sent (as RabbitMQ does)`);
  if (s.internalErrors.length > 0) {
    out('541 INTERNAL_ERROR - internal error closes (last frames of the connection):');
    for (const e of s.internalErrors.slice(0, 5)) out(`  #${e.connection}: ${e.text.slice(0, 160)} <- ${e.lastFrames.join(' | ').slice(0, 300)}`);
  }
  for (const w of r.warnings) out(`WARNING: ${w}`);
  if (r.dataDir !== undefined) out(`data directory kept for inspection: ${r.dataDir}`);
  out(r.failures.length === 0 ? 'RESULT: PASS (broker alive, nothing lost)' : `RESULT: FAIL\n  - ${r.failures.join('\n  - ')}`);
  return lines.join('\n');
}

export function oracleTotals(s: AttackStats): { probes: number; ok: number; mismatched: number; excused: number } {
  const t = { probes: 0, ok: 0, mismatched: 0, excused: 0 };
  for (const c of s.oracle.values()) {
    t.probes += c.probes;
    t.ok += c.ok;
    t.excused += c.excused;
    for (const v of c.mismatches.values()) t.mismatched += v;
  }
  return t;
}

/** The run's figures, and what failed or deserves a warning. */
export function verdict(run: RunState, good: GoodReport | undefined, liveness: Liveness | undefined, finalRestart: string | undefined): FuzzReport {
  const o = run.o;
  const failures = [...run.failures];
  const warnings = [...run.warnings];
  if (run.crashes.length > 0) failures.push(`${run.crashes.length} broker crash(es) or hang(s)`);
  const oracle = oracleTotals(run.stats);
  // After a crash, answers around it prove nothing; the crash fails the run anyway.
  if (oracle.mismatched > 0 && run.crashes.length === 0) {
    const byClass = [...run.stats.oracle.entries()].filter(([, c]) => c.mismatches.size > 0).map(([k, c]) => `${k} (expected ${c.expected}): ${[...c.mismatches.entries()].map(([g, v]) => `${g} x${v}`).join('; ')}`);
    failures.push(`${oracle.mismatched} bad frame(s) not answered with the protocol's close and code: ${byClass.join(' / ')}`);
  }
  if (good !== undefined) {
    if (good.lost > 0) failures.push(`${good.lost} confirmed message(s) never delivered to the good client (e.g. ${good.lostSample.join(', ')})`);
    if (good.foreign > 0) failures.push(`${good.foreign} message(s) on the good client's queue that it never published`);
    if (good.unexpectedDisconnects > 0) failures.push(`the good client lost its connection ${good.unexpectedDisconnects} time(s) outside restarts: ${good.disconnectSamples.join('; ')}`);
    if (good.confirmed === 0) failures.push('the good client got no confirm at all');
  }
  if (liveness !== undefined && !liveness.ok) failures.push(`liveness: amqp ${liveness.amqp}; overview ${liveness.overview}`);
  if (liveness === undefined && run.crashes.length === 0 && !run.aborted) failures.push('liveness was not checked');
  if (liveness !== undefined && Object.keys(liveness.management).length > 0) warnings.push(`management endpoints failing at the end: ${JSON.stringify(liveness.management)}`);
  if (finalRestart !== undefined && finalRestart !== 'ok') failures.push(`final restart check: ${finalRestart}`);
  const peakRssMb = run.dataDirs.length > 0 ? run.peakRssBytes / 2 ** 20 : undefined;
  if (peakRssMb !== undefined && peakRssMb > o.maxRssMb) failures.push(`broker RSS peaked at ${peakRssMb.toFixed(0)} MiB, above the ${o.maxRssMb} MiB bound`);
  const failedLogins = run.stats.handshakeFailures.filter((h) => !run.crashTimes.some((t) => h.at >= t - CRASH_SLACK_MS && h.at <= t + 30_000));
  if (failedLogins.length > 0) warnings.push(`${failedLogins.length} valid login(s) not completed: ${failedLogins.slice(0, 5).map((h) => h.what).join('; ')}`);
  if (run.stats.garbage.length > 0) warnings.push(`the broker sent ${run.stats.garbage.length} undecodable frame(s): ${run.stats.garbage.slice(0, 3).map((g) => g.error).join('; ')}`);
  if (run.management.failures > 0) warnings.push(`${run.management.failures} management API poll(s) failed during the attack: ${run.management.samples.slice(0, 3).join('; ')}`);
  if (run.stats.internalErrors.length > 0) warnings.push(`${run.stats.internalErrors.length}+ 541 INTERNAL_ERROR close(s): the broker threw on an input it should have refused cleanly`);
  if (run.aborted) failures.push('interrupted');
  const brokerErrors = [...run.brokerErrors.entries()].map(([message, v]) => ({ message, count: v.count, stack: v.stack }));
  return {
    seed: o.seed,
    rich: o.rich,
    durationMs: Date.now() - run.started,
    attackMs: run.attackMs,
    target: o.url ?? 'child broker',
    stats: run.stats,
    crashes: run.crashes,
    restarts: run.restarts,
    good,
    liveness,
    finalRestart,
    peakRssMb,
    maxRssMb: o.maxRssMb,
    management: run.management,
    brokerErrors,
    failures,
    warnings,
    outDir: o.outDir,
    dataDir: failures.length > 0 && run.dataDirs.length > 0 ? run.dataDirs.join(' ') : undefined,
  };
}
