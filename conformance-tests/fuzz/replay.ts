/**
 * Pinning a crash down. `--replay FILE` sends the frames recorded in a crash file again, connection by connection,
 * byte for byte, to a fresh child broker, and says which connection brings it down (then confirms that one alone on
 * another fresh broker); if none does alone, all of them together. `--only I,J` regenerates connections of a seed
 * from their scripts and plays them one at a time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attack, newRecord, newStats } from './attacker';
import { BrokerProcess, crashDescription } from './broker-process';
import { readCrashFile, type CrashFile } from './crash-file';
import type { FuzzOptions } from './options';
import { buildScript } from './script';
import { makePools } from './vocabulary';
import { Watchdog, type DownKind } from './watchdog';
import { sleep } from './time';

/** How long a broker is watched after a replay: long enough for the rich topologies' TTLs to fire. */
const SETTLE_MS = 1000;
/** Most replays a minimization may take (each starts a fresh broker). */
const MAX_MINIMIZE_TRIES = 150;
const MAX_GAP_MS = 50;


type Recorded = CrashFile['connections'][number];

class Brokers {
  private readonly dirs: string[] = [];
  current: BrokerProcess | undefined;
  constructor(private readonly o: FuzzOptions) {}

  async fresh(): Promise<BrokerProcess> {
    this.current?.kill();
    if (this.current !== undefined) await this.current.exited;
    const dir = mkdtempSync(join(tmpdir(), 'leveret-fuzz-replay-'));
    this.dirs.push(dir);
    this.current = await BrokerProcess.start(dir, join(this.o.outDir, `replay-${this.dirs.length}.log`), [], this.o.sources);
    return this.current;
  }

  async done(): Promise<void> {
    this.current?.kill();
    if (this.current !== undefined) await this.current.exited;
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Writes one recorded connection's frames, keeping their order and (capped) spacing; reads and drops replies. */
function play(b: BrokerProcess, c: Recorded): Promise<void> {
  return new Promise<void>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: Number(new URL(b.url).port) }, async () => {
      let last = 0;
      for (const f of c.frames) {
        if (s.destroyed) break;
        await sleep(Math.min(MAX_GAP_MS, Math.max(0, f.t - last)));
        last = f.t;
        s.write(Buffer.from(f.hex.replace(/\.\.\.\(.*$/, ''), 'hex'));
      }
      await sleep(50);
      s.destroy();
      resolve();
    });
    s.on('data', () => undefined);
    s.on('error', () => resolve());
  });
}

async function crashedAfter(b: BrokerProcess): Promise<boolean> {
  await sleep(SETTLE_MS);
  return !b.running;
}

function describe(c: Recorded): string {
  const frames = c.frames.map((f) => `    ${f.mutated ? '*' : ' '} +${f.t}ms ${f.label}`);
  return `connection #${c.index} (${c.kind}), ${c.frames.length} frames (* = mutated):\n${frames.slice(-40).join('\n')}`;
}

export async function replayCrashFile(o: FuzzOptions, path: string): Promise<boolean> {
  const file = readCrashFile(path);
  const out = (l: string): boolean => process.stdout.write(`${l}\n`);
  out(`replaying ${file.connections.length} connection(s) from ${path} (seed ${file.seed}); the original crash:\n${file.broker.description.split('\n').slice(0, 10).join('\n')}\n`);
  const brokers = new Brokers(o);
  try {
    let b = await brokers.fresh();
    for (const c of file.connections) {
      await play(b, c);
      if (!(await crashedAfter(b))) continue;
      out(`connection #${c.index} brought the broker down (after the ones before it on the same broker); checking it alone...`);
      b = await brokers.fresh();
      await play(b, c);
      if (await crashedAfter(b)) {
        out(`REPRODUCED: connection #${c.index} alone crashes a fresh broker.\n${describe(c)}\nbroker: ${crashDescription(b)}`);
        if (o.minimize) await minimize(brokers, c, path, out);
        return true;
      }
      out(`  not alone; it needs state left by earlier connections.`);
      b = await brokers.fresh();
    }
    out('no single connection reproduces it; playing all of them at once on a fresh broker...');
    b = await brokers.fresh();
    await Promise.all(file.connections.map((c) => play(b, c)));
    if (await crashedAfter(b)) {
      out(`REPRODUCED with all connections together.\nbroker: ${crashDescription(b)}`);
      return true;
    }
    out(`not reproduced: the crash needs state or timing the recorded frames do not carry; rerun with ${file.rerun}`);
    return false;
  } finally {
    await brokers.done();
  }
}

/** Handshake frames stay; everything after is cut into units: a method with its content frames, or one frame. */
function units(frames: Recorded['frames']): { fixed: Recorded['frames']; units: Array<Recorded['frames']> } {
  const handshake = /^(protocol-header|connection\.(start-ok|tune-ok|open))\b/;
  let n = 0;
  while (n < frames.length && handshake.test(frames[n]!.label)) n++;
  const out: Array<Recorded['frames']> = [];
  for (const f of frames.slice(n)) {
    const content = / (header|body)[#(]/.test(f.label) && !f.label.includes('~');
    if (content && out.length > 0) out[out.length - 1]!.push(f);
    else out.push([f]);
  }
  return { fixed: frames.slice(0, n), units: out };
}

/**
 * Greedy delta debugging: drops chunks of units (halving the chunk size when nothing can go) while the rest
 * still crashes a fresh broker, and writes what is left next to the crash file.
 */
async function minimize(brokers: Brokers, c: Recorded, crashPath: string, out: (l: string) => boolean): Promise<void> {
  const { fixed, units: all } = units(c.frames);
  let kept = all;
  let tries = 0;
  const crashes = async (candidate: Array<Recorded['frames']>): Promise<boolean> => {
    tries++;
    const b = await brokers.fresh();
    await play(b, { ...c, frames: [...fixed, ...candidate.flat()] });
    return crashedAfter(b);
  };
  out(`minimizing ${all.length} units (at most ${MAX_MINIMIZE_TRIES} replays)...`);
  for (let chunk = Math.ceil(kept.length / 2); chunk >= 1 && tries < MAX_MINIMIZE_TRIES; chunk = Math.floor(chunk / 2)) {
    for (let i = 0; i < kept.length && tries < MAX_MINIMIZE_TRIES; ) {
      const candidate = [...kept.slice(0, i), ...kept.slice(i + chunk)];
      if (candidate.length < kept.length && (await crashes(candidate))) kept = candidate;
      else i += chunk;
    }
  }
  const frames = [...fixed, ...kept.flat()];
  const file = crashPath.replace(/\.json$/, `.min-${c.index}.json`);
  writeFileSync(file, `${JSON.stringify({ from: crashPath, connection: c.index, tries, frames }, null, 1)}\n`);
  out(`minimal input after ${tries} replays: ${kept.length} of ${all.length} units, ${frames.length} frames (${file}):`);
  out(frames.map((f) => `    ${f.mutated ? '*' : ' '} ${f.label}\n        ${f.hex.length > 400 ? `${f.hex.slice(0, 400)}...` : f.hex}`).join('\n'));
}

export async function replayIndices(o: FuzzOptions, indices: number[]): Promise<boolean> {
  const out = (l: string): boolean => process.stdout.write(`${l}\n`);
  const brokers = new Brokers(o);
  const pools = makePools(o.seed);
  let down: DownKind | undefined;
  let watchdog: Watchdog | undefined;
  try {
    const b = await brokers.fresh();
    const target = { host: '127.0.0.1', port: Number(new URL(b.url).port) };
    watchdog = new Watchdog(() => (down === undefined ? { target, broker: b } : undefined), o.maxRssMb * 2 ** 20, (kind) => (down = kind));
    const creds = { user: 'guest', password: 'guest', vhost: '/' };
    const stats = newStats();
    const played: string[] = [];
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      if (down !== undefined) {
        out(`BROKER DOWN (${down}) before connection #${index}, after ${i} of ${indices.length} connections (${stats.mutated} mutated frames); the last ones played:`);
        out(played.slice(-5).join('\n'));
        out(`broker: ${b.running ? `still running; its stack:\n${await b.stack()}` : crashDescription(b)}`);
        return true;
      }
      const script = buildScript(o.seed, index, pools, o.rich, creds);
      const record = newRecord(script);
      await attack(target, script, stats, { stopped: false }, record);
      played.push(`  #${index} (${script.kind}): ${record.frames.length} frames, ${record.outcome}`);
      if (played.length > 20) played.shift();
      if (i === indices.length - 1) await sleep(SETTLE_MS);
      const failed = !b.running ? 'BROKER CRASHED' : down !== undefined ? `BROKER DOWN (${down})` : undefined;
      if (indices.length <= 50 || failed !== undefined || i % 100 === 99) out(`#${index} (${script.kind}): ${record.frames.length} frames, ${record.outcome}${failed !== undefined ? ` -> ${failed}` : ''}`);
      if (failed !== undefined) {
        out(record.frames.map((f) => `    ${f.mutated ? '*' : ' '} +${f.t}ms ${f.label}`).join('\n'));
        out(`broker: ${b.running ? `still running; its stack:\n${await b.stack()}` : crashDescription(b)}`);
        out(`after ${i + 1} of ${indices.length} connections (${stats.mutated} mutated frames)`);
        return true;
      }
    }
    out(`no crash or hang after ${indices.length} connections (${stats.mutated} mutated frames)`);
    return false;
  } finally {
    watchdog?.stop();
    await brokers.done();
  }
}
