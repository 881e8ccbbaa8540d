/**
 * Pinning a crash down. `--replay FILE` sends the frames recorded in a crash file again, connection by connection,
 * byte for byte, to a fresh child broker, and says which connection brings it down (then confirms that one alone on
 * another fresh broker); if none does alone, all of them together. `--only I,J` regenerates connections of a seed
 * from their scripts and plays them one at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attack, newRecord, newStats } from './attacker';
import { BrokerProcess, crashDescription } from './broker-process';
import { readCrashFile, type CrashFile } from './crash-file';
import type { FuzzOptions } from './options';
import { buildScript } from './script';
import { makePools } from './vocabulary';
import { sleep } from './time';

const SETTLE_MS = 400;
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

export async function replayIndices(o: FuzzOptions, indices: number[]): Promise<boolean> {
  const out = (l: string): boolean => process.stdout.write(`${l}\n`);
  const brokers = new Brokers(o);
  const pools = makePools(o.seed);
  try {
    const b = await brokers.fresh();
    const creds = { user: 'guest', password: 'guest', vhost: '/' };
    for (const index of indices) {
      const script = buildScript(o.seed, index, pools, o.rich, creds);
      const record = newRecord(script);
      await attack({ host: '127.0.0.1', port: Number(new URL(b.url).port) }, script, newStats(), { stopped: false }, record);
      const crashed = await crashedAfter(b);
      out(`#${index} (${script.kind}): ${record.frames.length} frames, ${record.outcome}${crashed ? ' -> BROKER CRASHED' : ''}`);
      if (crashed) {
        out(record.frames.map((f) => `    ${f.mutated ? '*' : ' '} +${f.t}ms ${f.label}`).join('\n'));
        out(`broker: ${crashDescription(b)}`);
        return true;
      }
    }
    out('no crash');
    return false;
  } finally {
    await brokers.done();
  }
}
