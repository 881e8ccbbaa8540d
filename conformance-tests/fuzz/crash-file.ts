/**
 * The crash file: what a crash left behind, enough to replay it. The seed and options; the broker's fatal record
 * (with the stack) and its last log lines; and, for every attacker connection that was open at the crash or ended
 * just before it, every frame it wrote (hex, label, time), most recently active first.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionRecord } from './attacker';
import type { BrokerProcess } from './broker-process';
import type { FuzzOptions } from './options';
import { hex } from './wire';

export interface CrashFile {
  seed: number;
  rich: boolean;
  /** Command line that reproduces the run. */
  rerun: string;
  phase: string;
  at: { frames: number; mutated: number; connections: number; elapsedMs: number };
  broker: { exit: string; description: string; fatal: unknown[]; lastLines: string[] };
  connections: Array<{
    index: number;
    kind: string;
    localPort: number | undefined;
    outcome: string;
    /** ms between this connection's last frame and the crash being noticed (smaller = more suspect). */
    lastFrameBeforeCrashMs: number | undefined;
    frames: Array<{ t: number; label: string; mutated: boolean; hex: string }>;
  }>;
}

/** The records worth keeping for a crash at `crashAt`: open then, or ended within `windowMs` before. */
export function suspects(records: Iterable<ConnectionRecord>, crashAt: number, windowMs = 3000): ConnectionRecord[] {
  const lastActivity = (r: ConnectionRecord): number => r.startedAt + (r.frames[r.frames.length - 1]?.t ?? 0);
  // A connection opened after the crash (or after a hang began) cannot have caused it.
  return [...records]
    .filter((r) => r.frames.length > 0 && r.startedAt <= crashAt && (r.endedAt === undefined || r.endedAt >= crashAt - windowMs))
    .sort((a, b) => lastActivity(b) - lastActivity(a));
}

export function rerunCommand(o: FuzzOptions): string {
  const parts = ['npm run fuzz --', `--seed ${o.seed}`, `--frames ${o.frames}`, `--concurrency ${o.concurrency}`];
  if (o.rich) parts.push('--rich');
  if (!o.restart) parts.push('--no-restart');
  return parts.join(' ');
}

export function writeCrashFile(dir: string, name: string, c: Omit<CrashFile, 'connections'>, records: ConnectionRecord[], crashAt: number): string {
  mkdirSync(dir, { recursive: true });
  const file: CrashFile = {
    ...c,
    connections: records.map((r) => ({
      index: r.index,
      kind: r.kind,
      localPort: r.localPort,
      outcome: r.outcome,
      lastFrameBeforeCrashMs: r.frames.length > 0 ? crashAt - (r.startedAt + r.frames[r.frames.length - 1]!.t) : undefined,
      frames: r.frames.map((f) => ({ t: f.t, label: f.label, mutated: f.mutated, hex: hex(f.bytes, 1 << 20) })),
    })),
  };
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(file, null, 1)}\n`);
  return path;
}

export function readCrashFile(path: string): CrashFile {
  return JSON.parse(readFileSync(path, 'utf8')) as CrashFile;
}

/** 'TypeError: x is not a function @ src/queue/queue.ts:350', from a crashed broker's fatal record. */
export function crashSignature(b: BrokerProcess | undefined): string {
  const fatal = b?.errors.find((r) => (r.level ?? 0) >= 60);
  if (fatal === undefined) return b !== undefined ? `exit ${b.exitCode}${b.exitSignal !== undefined ? ` ${b.exitSignal}` : ''}: ${b.stderr[0] ?? 'no fatal record'}` : 'external broker down';
  const where = brokerFrame(fatal.err?.stack ?? '');
  const message = (fatal.err?.message ?? fatal.msg ?? '').replace(/"[^"]*"|'[^']*'/g, '"..."').replace(/\d{3,}/g, 'N').slice(0, 120);
  return `${fatal.err?.type ?? 'Error'}: ${message} @ ${where}`;
}

/**
 * The first frame in the broker's sources outside the codec, 'src/queue/queue.ts:350': it says which path failed
 * (the codec frames say only that a decode or an encode failed). Reads Error stacks and inspector backtraces.
 */
export function brokerFrame(stack: string): string {
  const frames = [...stack.matchAll(/(?:^|[\s/(])(src\/[^\s():]+\.ts):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
  return frames.find((f) => !f.startsWith('src/protocol/')) ?? frames[0] ?? '?';
}

/**
 * The signature of a broker that stopped serving without exiting, from its inspector backtrace: the broker frame
 * that repeats most (the loop it is stuck in), else the first broker frame; where the stack was caught inside the
 * loop varies from one sample to the next, the loop does not.
 */
export function hangSignature(kind: 'hang' | 'memory', stack: string): string {
  const what = kind === 'hang' ? 'HANG (event loop stuck)' : 'RSS over the bound';
  if (stack === '') return `${what} @ no stack`;
  const counts = new Map<string, number>();
  for (const m of stack.matchAll(/^#\d+ (\S+) (src\/[^\s:]+\.ts):(\d+)/gm)) {
    if (m[2]!.startsWith('src/protocol/')) continue;
    const key = `${m[1]} ${m[2]}:${m[3]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const [loop, n] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  return n > 2 ? `${what} in a loop through ${loop}` : `${what} @ ${brokerFrame(stack)}`;
}
