/**
 * Before/after table of two probe runs (their results.json), one row per probe and target, in Markdown:
 *
 *   node -r ./bench/ts-register.cjs bench/probes/compare.ts BEFORE/results.json AFTER/results.json
 *
 * run.ts prints the same table after a run given `--compare BEFORE/results.json`.
 */
import * as fs from 'node:fs';

interface Row {
  id: number;
  name: string;
  target: string;
  verdict: string;
  figure: string;
}

interface Run {
  label: string;
  date: string;
  results: Row[];
}

function load(file: string): Run {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Run;
}

function cell(r: Row | undefined): string {
  return r === undefined ? '-' : `**${r.verdict}**: ${r.figure}`.replace(/\|/g, '\\|');
}

export function compareTable(beforeFile: string, after: Run): string {
  const before = load(beforeFile);
  const keys = new Map<string, Row>();
  for (const r of [...before.results, ...after.results]) if (!keys.has(`${r.id}/${r.target}`)) keys.set(`${r.id}/${r.target}`, r);
  const order = [...keys.values()].sort((a, b) => a.id - b.id || a.target.localeCompare(b.target));
  const find = (run: Run, r: Row): Row | undefined => run.results.find((x) => x.id === r.id && x.target === r.target);
  const lines = [
    `| probe | target | before (${before.label}, ${before.date.slice(0, 16)}) | after (${after.label}, ${after.date.slice(0, 16)}) |`,
    '| --- | --- | --- | --- |',
    ...order.map((r) => `| ${r.id}. ${r.name} | ${r.target} | ${cell(find(before, r))} | ${cell(find(after, r))} |`),
  ];
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  const [a, b] = process.argv.slice(2);
  if (a === undefined || b === undefined) {
    process.stderr.write('usage: node -r ./bench/ts-register.cjs bench/probes/compare.ts BEFORE.json AFTER.json\n');
    process.exit(2);
  }
  process.stdout.write(compareTable(a, load(b)));
}
