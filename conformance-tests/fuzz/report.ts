/** The fuzz run's report as text: what was sent, what came back, what the good client saw, and the verdict. */
import type { FuzzReport } from './run';

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
  if (s.internalErrors.length > 0) {
    out('541 INTERNAL_ERROR closes (last frames of the connection):');
    for (const e of s.internalErrors.slice(0, 5)) out(`  #${e.connection}: ${e.text.slice(0, 160)} <- ${e.lastFrames.join(' | ').slice(0, 300)}`);
  }
  for (const w of r.warnings) out(`WARNING: ${w}`);
  if (r.dataDir !== undefined) out(`data directory kept for inspection: ${r.dataDir}`);
  out(r.failures.length === 0 ? 'RESULT: PASS (broker alive, nothing lost)' : `RESULT: FAIL\n  - ${r.failures.join('\n  - ')}`);
  return lines.join('\n');
}
