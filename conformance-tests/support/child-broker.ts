/**
 * Leveret as a child process, for the tests that must stop, kill -9 and restart a broker on the same data
 * directory (the durability/ tests). These never read AMQP_URL: a broker the tests cannot restart is
 * of no use to them.
 *
 * The child runs the sources directly (`node -r ts-register.cjs src/main.ts`), logs pino JSON lines on stdout at
 * info, and is ready when it logs 'leveret started' with `amqp: ['127.0.0.1:PORT']`. Every child is remembered
 * until it exits; `killChildBrokers()` (call it in afterAll) SIGKILLs, by pid, whatever a test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeArgs } from './pg-store';

const REPO_ROOT = join(__dirname, '..', '..');
const TS_REGISTER = join(__dirname, 'ts-register.cjs');
const MAIN = join(REPO_ROOT, 'src', 'main.ts');
const STARTED_MSG = 'leveret started';
/** Compiling the sources with swc on first require takes a moment; a cold start stays well under this. */
const DEFAULT_START_TIMEOUT_MS = 15_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface ChildBrokerOptions {
  dataDir: string;
  extraArgs?: string[];
  /** How long to wait for 'leveret started' (or, for startFailingBroker, for the exit). */
  timeoutMs?: number;
  /** Runs the child under `prlimit --nofile=N` (Linux, util-linux): a process with few file descriptors. */
  openFiles?: number;
  /** Environment variables added to the child's. */
  env?: Record<string, string>;
  /** Told the pid as soon as the child is spawned, before it starts listening (to kill it during start-up). */
  onSpawn?: (pid: number) => void;
}

export interface ChildBroker {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  process: ChildProcess;
  /** Sends `signal` and resolves with the exit code (128 + signal number when the signal killed it). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
  /** SIGKILL, resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Every stdout and stderr line so far, in arrival order per stream. */
  logs(): string[];
  /** Parsed pino lines (stdout lines that are JSON objects). */
  records(): Array<Record<string, unknown>>;
  /** Whether the process has exited. */
  exited(): boolean;
}

export interface FailedStart {
  /** Exit code; 128 + signal number if a signal ended it. */
  code: number;
  logs: string[];
  records: Array<Record<string, unknown>>;
}

/** Children that have not exited yet, by pid. */
const live = new Map<number, ChildProcess>();

/** A fresh, empty temp directory; removed by removeTempDirs(). */
const tempDirs: string[] = [];
export function makeDataDir(prefix = 'leveret-durability-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal !== null ? (SIGNAL_NUMBERS[signal] ?? 0) : 0);
}

interface Spawned {
  child: ChildProcess;
  lines: string[];
  records: Array<Record<string, unknown>>;
  /** Resolves with the exit code when the process exits. */
  exit: Promise<number>;
  /** Called for every parsed stdout record. */
  onRecord: ((r: Record<string, unknown>) => void) | undefined;
}

function spawnBroker(options: ChildBrokerOptions, store: string[]): Spawned {
  const args = [
    '-r',
    TS_REGISTER,
    MAIN,
    '--port',
    '0',
    '--bind',
    '127.0.0.1',
    '--http-port',
    '0',
    '--http-bind',
    '127.0.0.1',
    '--data-dir',
    options.dataDir,
    '--log-level',
    'info',
    ...store,
    ...(options.extraArgs ?? []),
  ];
  const command = options.openFiles === undefined ? process.execPath : 'prlimit';
  const argv = options.openFiles === undefined ? args : [`--nofile=${options.openFiles}`, '--', process.execPath, ...args];
  // prlimit execs the broker, so the pid is the broker's either way.
  const child = spawn(command, argv, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Keep the child away from anything the test runner's environment would tell a broker.
    env: { ...process.env, NODE_OPTIONS: '', AMQP_URL: '', ...options.env },
  });
  if (child.pid === undefined) throw new Error('could not spawn the broker');
  live.set(child.pid, child);
  options.onSpawn?.(child.pid);
  const s: Spawned = {
    child,
    lines: [],
    records: [],
    exit: new Promise<number>((resolve) => {
      // 'close', not 'exit': by then stdout and stderr are drained, so logs() holds the last words.
      child.once('close', (code, signal) => {
        if (child.pid !== undefined) live.delete(child.pid);
        resolve(exitCodeOf(code, signal));
      });
    }),
    onRecord: undefined,
  };
  const splitLines = (stream: NodeJS.ReadableStream, parse: boolean): void => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line === '') continue;
        s.lines.push(line);
        if (!parse || !line.startsWith('{')) continue;
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          s.records.push(rec);
          s.onRecord?.(rec);
        } catch {
          // not a log record: kept as a line only
        }
      }
    });
    stream.on('end', () => {
      if (partial !== '') s.lines.push(partial);
      partial = '';
    });
  };
  if (child.stdout) splitLines(child.stdout, true);
  if (child.stderr) splitLines(child.stderr, false);
  return s;
}

function describeLogs(lines: string[]): string {
  return lines.length === 0 ? '(no output)' : lines.slice(-30).join('\n');
}

/** Starts a broker on `dataDir` and waits for it to listen. Rejects (with its output) if it exits or times out. */
export async function startChildBroker(options: ChildBrokerOptions): Promise<ChildBroker> {
  const s = spawnBroker(options, await storeArgs(options.dataDir));
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      s.child.kill('SIGKILL');
      reject(new Error(`broker did not start within ${timeoutMs} ms; output:\n${describeLogs(s.lines)}`));
    }, timeoutMs);
    s.onRecord = (rec) => {
      if (rec.msg !== STARTED_MSG) return;
      const first = Array.isArray(rec.amqp) ? rec.amqp[0] : undefined;
      const p = typeof first === 'string' ? Number(first.slice(first.lastIndexOf(':') + 1)) : NaN;
      clearTimeout(timer);
      if (Number.isInteger(p) && p > 0) resolve(p);
      else {
        s.child.kill('SIGKILL');
        reject(new Error(`'${STARTED_MSG}' without an amqp address: ${JSON.stringify(rec)}`));
      }
    };
    void s.exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before starting; output:\n${describeLogs(s.lines)}`));
    });
  });
  s.onRecord = undefined;
  const pid = s.child.pid as number;
  let done = false;
  void s.exit.then(() => {
    done = true;
  });
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    pid,
    dataDir: options.dataDir,
    process: s.child,
    async stop(signal: NodeJS.Signals = 'SIGTERM', stopTimeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<number> {
      if (!done) s.child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          s.child.kill('SIGKILL');
          reject(new Error(`broker did not exit within ${stopTimeoutMs} ms of ${signal}; output:\n${describeLogs(s.lines)}`));
        }, stopTimeoutMs);
      });
      try {
        return await Promise.race([s.exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async kill9(): Promise<void> {
      if (!done) s.child.kill('SIGKILL');
      await s.exit;
    },
    logs: () => [...s.lines],
    records: () => [...s.records],
    exited: () => done,
  };
}

/**
 * Starts a broker that is expected to refuse to start: resolves with its exit code and output once it exits.
 * Rejects if it starts listening instead (and kills it), or if it neither starts nor exits within the timeout.
 */
export async function startFailingBroker(options: ChildBrokerOptions): Promise<FailedStart> {
  const s = spawnBroker(options, await storeArgs(options.dataDir));
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let started = false;
  s.onRecord = (rec) => {
    if (rec.msg === STARTED_MSG) {
      started = true;
      s.child.kill('SIGKILL');
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      s.child.kill('SIGKILL');
      reject(new Error(`broker neither started nor exited within ${timeoutMs} ms; output:\n${describeLogs(s.lines)}`));
    }, timeoutMs);
  });
  let code: number;
  try {
    code = await Promise.race([s.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
  if (started) throw new Error(`broker started although it was expected to fail; output:\n${describeLogs(s.lines)}`);
  return { code, logs: [...s.lines], records: [...s.records] };
}

/** SIGKILLs every child broker still running (by pid) and waits for them to go. For afterAll. */
export async function killChildBrokers(): Promise<void> {
  const children = [...live.entries()];
  await Promise.all(
    children.map(
      ([pid, child]) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            live.delete(pid);
            resolve();
            return;
          }
          child.once('close', () => resolve());
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            live.delete(pid);
            resolve();
          }
        }),
    ),
  );
}

/** SIGKILLs every child broker still running, by pid, without waiting: for a process 'exit' handler. */
export function killChildBrokersNow(): void {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
