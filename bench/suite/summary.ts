/**
 * The summary: median, min and max per metric over the repetitions, and the Markdown tables printed at the end: one
 * per client (amqplib, then leveret-perf), each followed by that client's ceiling.
 */
import { CLIENTS, SATURATED_PCT, SCENARIOS, type ClientName, type Options, type Result } from './scenarios';

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
export function stat(results: Result[], key: string): Stat | undefined {
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

/** A table per client that has results (h and i count as amqplib's: they open their connections with it). */
export function summarizeAll(results: Result[], opts: Options): string[] {
  const lines: string[] = [];
  for (const client of CLIENTS) {
    const mine = results.filter((r) => r.client === client);
    if (mine.length === 0) continue;
    if (lines.length > 0) lines.push('');
    lines.push(`Load generated with ${client}:`, '', ...summarizeClient(mine, opts, client));
  }
  return lines;
}

function summarizeClient(results: Result[], opts: Options, client: ClientName): string[] {
  const lines: string[] = [];
  const ceilingLines: string[] = [];
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const ceiling = results.filter((r) => r.scenario === 'ceiling');
  const ceil16 = Math.min(stat(ceiling, 'producer16PerS')?.median ?? Infinity, stat(ceiling, 'consumer16PerS')?.median ?? Infinity);
  const ceil1k = Math.min(stat(ceiling, 'producer1kPerS')?.median ?? Infinity, stat(ceiling, 'consumer1kPerS')?.median ?? Infinity);
  if (results.some((r) => r.scenario !== 'ceiling')) {
    lines.push(
      row(['scenario', 'metric', 'Leveret median (min-max)', 'Leveret on PostgreSQL median (min-max)', 'RabbitMQ median (min-max)', 'Leveret/RabbitMQ', 'PostgreSQL/SQLite', 'notes']),
    );
    lines.push(row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---']));
  }
  for (const def of SCENARIOS) {
    if (!opts.scenarios.includes(def.name)) continue;
    const mine = results.filter((r) => r.scenario === def.name);
    if (mine.length === 0) continue;
    const lev = mine.filter((r) => r.broker === 'leveret');
    const levPg = mine.filter((r) => r.broker === 'leveret-pg');
    const rmq = mine.filter((r) => r.broker === 'rabbitmq');
    for (const m of def.metrics) {
      const notes: string[] = [];
      if (def.kind === 'ceiling') {
        const s = stat(mine, m.key);
        const cpu = stat(mine, m.key.replace('PerS', 'CpuPct'));
        if (cpu) notes.push(`client CPU ${fmt(cpu.median)} %${cpu.median >= SATURATED_PCT ? ' (saturated)' : ''}`);
        // leveret-perf's producer can outrun the sink: the stand-in's CPU shows when the figure is more its than the client's.
        const standIn = m.key.startsWith('producer') ? 'sink' : 'source';
        const other = stat(mine, m.key.replace(/^(producer|consumer)/, standIn).replace('PerS', 'CpuPct'));
        if (other) notes.push(`${standIn} CPU ${fmt(other.median)} %${other.median >= SATURATED_PCT ? ' (saturated)' : ''}`);
        ceilingLines.push(row([m.label, fmtStat(s), notes.join('; ')]));
        continue;
      }
      const l = stat(lev, m.key);
      const lp = stat(levPg, m.key);
      const r = stat(rmq, m.key);
      const ratio = l && r && r.median !== 0 ? `${(l.median / r.median).toFixed(2)}` : '-';
      const pgRatio = l && lp && l.median !== 0 ? `${(lp.median / l.median).toFixed(2)}` : '-';
      if (m === def.metrics[0]) {
        const ceil = def.name === 'transient-16' ? ceil16 : def.name === 'transient-1k' ? ceil1k : Infinity;
        if (Number.isFinite(ceil)) {
          const frac = (s: Stat | undefined): string => (s ? `${((s.median / ceil) * 100).toFixed(0)} %` : '-');
          notes.push(`of client ceiling ${fmt(ceil)}/s: Leveret ${frac(l)}, RabbitMQ ${frac(r)}`);
        }
        for (const [name, set] of [['Leveret', lev], ['Leveret on PostgreSQL', levPg], ['RabbitMQ', rmq]] as const) {
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
      lines.push(row([`${def.id}. ${def.name}`, m.label, fmtStat(l), fmtStat(lp), fmtStat(r), ratio, pgRatio, notes.join('; ')]));
    }
  }
  if (ceilingLines.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(`Client ceiling (${client} against bench/fake-broker.ts, no broker):`, '');
    lines.push(row(['client', 'msg/s median (min-max)', 'notes']), row(['---', '---:', '---']), ...ceilingLines);
  }
  return lines;
}
