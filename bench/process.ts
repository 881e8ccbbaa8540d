/**
 * Process plumbing shared by the benchmark orchestrators (suite.ts, persistence.ts): small helpers, the set of
 * child processes and temp dirs a run started (so every exit path can stop and remove them), /proc sampling, and
 * the forked worker processes with their typed message channel.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const REGISTER = path.join(__dirname, 'ts-register.cjs');

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function log(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes and temp dirs
// ---------------------------------------------------------------------------------------------------------------

/** Every child process started by this run, so that all of them are stopped (by pid) on any exit path. */
export const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

export function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * SIGKILLs every live child, synchronously (usable from the exit handler). `treeOf` lists the pids to kill for a
 * child (parents first; they are killed in reverse); by default just the child's own.
 */
export function killChildrenSync(treeOf: (pid: number) => number[] = (pid) => [pid]): void {
  for (const child of children) {
    if (child.pid === undefined) continue;
    const pids = alive(child) ? treeOf(child.pid) : [];
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

export function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!alive(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Sends `signal` (none: the child was asked to stop another way), waits, then SIGKILL after `timeoutMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals | null, timeoutMs: number): Promise<void> {
  if (signal !== null && alive(child) && child.pid !== undefined) process.kill(child.pid, signal);
  if (!(await waitExit(child, timeoutMs)) && child.pid !== undefined) {
    log(`pid ${child.pid} did not exit (${signal ?? 'asked to stop'}) in ${timeoutMs} ms; killing it`);
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await waitExit(child, 5000);
  }
  children.delete(child);
}

/** A temp dir under os.tmpdir(), removed by removeTempDirsSync() if the run does not remove it itself. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export function removeTempDirsSync(): void {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// /proc sampling
// ---------------------------------------------------------------------------------------------------------------

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // Linux default
}

/** VmRSS in kB, from /proc/<pid>/status; throws if the process is gone. */
function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** utime + stime in clock ticks, from /proc/<pid>/stat; throws if the process is gone. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Resident set size of one process in MiB; throws if the process is gone. */
export function rssMiB(pid: number): number {
  return rssKiB(pid) / 1024;
}

/** utime + stime of one process in seconds; throws if the process is gone. */
export function cpuSeconds(pid: number): number {
  return cpuTicks(pid) / clockTicks;
}

/** VmRSS in MiB of the given processes together (those gone count 0). */
export function totalRssMiB(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += rssKiB(pid);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** utime + stime in seconds of the given processes together (those gone count 0). */
export function totalCpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      ticks += cpuTicks(pid);
    } catch {
      // gone
    }
  }
  return ticks / clockTicks;
}

// ---------------------------------------------------------------------------------------------------------------
// Worker processes
// ---------------------------------------------------------------------------------------------------------------

/** What every worker protocol has: a 'stop' command; 'error' (and optionally 'progress') messages. */
export type BaseCommand = { cmd: string };
export type BaseMessage = { type: string };

/**
 * A worker process (`script` forked with `--worker <json config>`) with a typed message channel. 'progress'
 * messages go to onProgress, 'error' messages to onError; next(type) waits for the next message of another type.
 */
export class Worker<Config, Command extends BaseCommand, Message extends BaseMessage> {
  readonly child: ChildProcess;
  private waiters: { type: Message['type']; resolve: (m: Message) => void }[] = [];
  onProgress: ((count: number) => void) | undefined;
  failure: string | undefined;

  constructor(
    script: string,
    readonly name: string,
    cfg: Config,
    private readonly onError: (worker: Worker<Config, Command, Message>, message: string) => void,
  ) {
    this.child = fork(script, ['--worker', JSON.stringify(cfg)], {
      execArgv: ['-r', REGISTER],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(this.child);
    this.child.on('message', (m: Message) => {
      if (m.type === 'progress') {
        this.onProgress?.((m as unknown as { count: number }).count);
        return;
      }
      if (m.type === 'error') {
        this.failure = (m as unknown as { message: string }).message;
        this.onError(this, this.failure);
        return;
      }
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
    this.child.once('exit', (code) => {
      if (code !== 0 && code !== null && this.failure === undefined) {
        this.failure = `exited with code ${code}`;
        this.onError(this, this.failure);
      }
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  next<T extends Message['type']>(type: T): Promise<Extract<Message, { type: T }>> {
    return new Promise((resolve) => {
      this.waiters.push({ type, resolve: resolve as (m: Message) => void });
    });
  }

  command(c: Command): void {
    if (alive(this.child) && this.child.connected) this.child.send(c);
  }

  /** Asks the worker to stop; SIGKILL if it has not exited in 15 s. */
  async stop(): Promise<void> {
    this.command({ cmd: 'stop' } as Command);
    await stopChild(this.child, null, 15_000);
  }
}

/** Rejects as soon as any worker reports an error, so a scenario never hangs on a dead client. */
export class WorkerGroup<Config, Command extends BaseCommand, Message extends BaseMessage> {
  readonly workers: Worker<Config, Command, Message>[] = [];
  private failed: ((err: Error) => void) | undefined;
  readonly failure: Promise<never>;

  /** `script`: the file the workers run (the orchestrator's own, forked with `--worker`). */
  constructor(private readonly script: string) {
    this.failure = new Promise<never>((_, reject) => {
      this.failed = reject;
    });
    this.failure.catch(() => undefined);
  }

  add(name: string, cfg: Config): Worker<Config, Command, Message> {
    const w = new Worker<Config, Command, Message>(this.script, name, cfg, (worker, message) =>
      this.failed?.(new Error(`${worker.name}: ${message}`)),
    );
    this.workers.push(w);
    return w;
  }

  /** Waits for `p`, or fails with the first worker error. */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.failure]);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
