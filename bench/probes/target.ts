/**
 * The broker a probe runs against.
 *
 * LeveretTarget starts a checkout's broker as a child process: from its sources (`node -r
 * <repo>/conformance-tests/support/ts-register.cjs <repo>/src/main.ts`, no build needed, so an old and a new checkout
 * run the same way) or its compiled dist/main.js (`--mode dist`). Ports are chosen by the broker (`--port 0
 * --http-port 0`, read back from its 'leveret started' line), the data dir is a fresh temp dir, every output line goes
 * to a log file, and the child is stopped by pid. Optionally under a lowered file-descriptor limit (prlimit).
 *
 * RabbitMqTarget points at a node someone else runs: it is never started, stopped or reconfigured here; its
 * beam.smp pid (for /proc figures) is the process listening on its AMQP port.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pidAlive, sleep } from './http';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** ms from the start of that broker process to its exit. */
  afterMs: number;
  /** The fatal log record's message and error, when there was one. */
  reason: string;
}

export interface Target {
  readonly kind: 'leveret' | 'rabbitmq';
  readonly host: string;
  amqpPort: number;
  httpBase: string;
  /** The broker's pid (RabbitMQ: beam.smp), undefined when not running. */
  pid: number | undefined;
  /** Exits seen so far (Leveret only; RabbitMQ is never expected to exit). */
  readonly exits: ExitInfo[];
  alive(): boolean;
  /** Lines the broker wrote to stdout so far (Leveret: its pino records). */
  stdoutLines(): number;
  /** Starts the broker again if it is not running (same data dir); true if it had to. */
  ensure(): Promise<boolean>;
  /** Stops and starts again on the same data dir; resolves with ms to 'started', or throws if it cannot start. */
  restart(): Promise<number>;
  /** Stops the broker, empties its data dir and starts it again (after a case that leaves it crash-looping). */
  fresh(): Promise<void>;
  /** Resolves with the exit once the running broker exits, or undefined after timeoutMs. */
  waitExit(timeoutMs: number): Promise<ExitInfo | undefined>;
  stop(): Promise<void>;
}

export interface LeveretOptions {
  repo: string;
  mode: 'src' | 'dist';
  /** Written to, one file per target. */
  logFile: string;
  /** RLIMIT_NOFILE for the broker (soft = hard); undefined: inherited. */
  nofile?: number;
  extraArgs?: string[];
}

const STARTED = 'leveret started';

/** Which way a checkout's broker can be run: sources when they and their ts-register are there, else dist. */
export function pickMode(repo: string, wanted: 'auto' | 'src' | 'dist'): 'src' | 'dist' {
  const hasSrc = fs.existsSync(path.join(repo, 'src', 'main.ts')) && fs.existsSync(path.join(repo, 'conformance-tests', 'support', 'ts-register.cjs'));
  const hasDist = fs.existsSync(path.join(repo, 'dist', 'main.js'));
  if (wanted === 'src' && !hasSrc) throw new Error(`${repo}: no src/main.ts with conformance-tests/support/ts-register.cjs`);
  if (wanted === 'dist' && !hasDist) throw new Error(`${repo}: no dist/main.js (npm run build there first)`);
  if (wanted !== 'auto') return wanted;
  if (hasSrc) return 'src';
  if (hasDist) return 'dist';
  throw new Error(`${repo}: neither src/main.ts (with its ts-register) nor dist/main.js`);
}

export class LeveretTarget implements Target {
  readonly kind = 'leveret' as const;
  readonly host = '127.0.0.1';
  amqpPort = 0;
  httpBase = '';
  pid: number | undefined;
  readonly exits: ExitInfo[] = [];
  readonly dataDir: string;
  private child: ChildProcess | undefined;
  private exitWaiters: Array<(e: ExitInfo) => void> = [];
  private lines = 0;
  private readonly log: fs.WriteStream;
  private lastFatal = '';
  startedAt = 0;

  constructor(private readonly o: LeveretOptions) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leveret-probe-data-'));
    this.log = fs.createWriteStream(o.logFile, { flags: 'a' });
  }

  alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  stdoutLines(): number {
    return this.lines;
  }

  private command(): { file: string; args: string[] } {
    const repo = this.o.repo;
    const broker = [
      '--port', '0', '--bind', '127.0.0.1', '--http-port', '0', '--http-bind', '127.0.0.1',
      '--data-dir', this.dataDir, '--log-level', 'info', ...(this.o.extraArgs ?? []),
    ];
    const node =
      this.o.mode === 'src'
        ? ['-r', path.join(repo, 'conformance-tests', 'support', 'ts-register.cjs'), path.join(repo, 'src', 'main.ts'), ...broker]
        : [path.join(repo, 'dist', 'main.js'), ...broker];
    if (this.o.nofile === undefined) return { file: process.execPath, args: node };
    // prlimit execs the command, so the child's pid is the broker's.
    return { file: 'prlimit', args: [`--nofile=${this.o.nofile}:${this.o.nofile}`, '--', process.execPath, ...node] };
  }

  /** Starts the broker; resolves with ms to its 'leveret started' line. */
  async start(timeoutMs = 30_000): Promise<number> {
    if (this.alive()) throw new Error('broker already running');
    const { file, args } = this.command();
    const t0 = performance.now();
    const child = spawn(file, args, {
      cwd: this.o.repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', AMQP_URL: '' },
    });
    child.on('error', (e) => this.log.write(`--- spawn error: ${e.message}\n`));
    this.child = child;
    this.pid = child.pid;
    this.lastFatal = '';
    this.log.write(`--- start ${new Date().toISOString()} pid ${child.pid} ${file} ${args.join(' ')}\n`);
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${STARTED}' within ${timeoutMs} ms`)), timeoutMs);
      let partial = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        this.log.write(chunk);
        partial += chunk;
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          this.lines++;
          if (!line.startsWith('{')) continue;
          // Only records that matter are parsed: the start line and errors.
          if (!line.includes(STARTED) && !/"level":(50|60)/.test(line)) continue;
          try {
            const rec = JSON.parse(line) as { msg?: string; amqp?: string[]; http?: string[]; level?: number; err?: { message?: string } };
            if (rec.msg === STARTED) {
              const port = (a: string | undefined): number => Number(a?.slice(a.lastIndexOf(':') + 1));
              this.amqpPort = port(rec.amqp?.[0]);
              this.httpBase = `http://127.0.0.1:${port(rec.http?.[0])}`;
              clearTimeout(timer);
              resolve();
            } else if ((rec.level ?? 0) >= 60 || this.lastFatal === '') {
              this.lastFatal = `${rec.msg ?? ''}${rec.err?.message ? `: ${rec.err.message}` : ''}`.slice(0, 300);
            }
          } catch {
            // not JSON after all
          }
        }
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        this.log.write(chunk);
        if (this.lastFatal === '' && chunk.trim() !== '') this.lastFatal = chunk.trim().split('\n').slice(-1)[0]!.slice(0, 300);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const e: ExitInfo = { code, signal, afterMs: Math.round(performance.now() - t0), reason: this.lastFatal };
        this.exits.push(e);
        this.log.write(`--- exit code ${code} signal ${signal} after ${e.afterMs} ms\n`);
        this.pid = undefined;
        for (const w of this.exitWaiters.splice(0)) w(e);
        reject(new Error(`broker exited (${code ?? signal}) before starting: ${this.lastFatal}`));
      });
    });
    await started;
    this.startedAt = performance.now();
    return performance.now() - t0;
  }

  waitExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    if (!this.alive()) return Promise.resolve(this.exits[this.exits.length - 1]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.exitWaiters = this.exitWaiters.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      const done = (e: ExitInfo): void => {
        clearTimeout(timer);
        resolve(e);
      };
      this.exitWaiters.push(done);
    });
  }

  async ensure(): Promise<boolean> {
    if (this.alive()) return false;
    await this.start();
    return true;
  }

  async restart(): Promise<number> {
    await this.stopProcess();
    return this.start();
  }

  async fresh(): Promise<void> {
    await this.stopProcess();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.mkdirSync(this.dataDir);
    await this.start();
  }

  /** SIGTERM, then SIGKILL after 5 s, by pid; the data dir stays. */
  private async stopProcess(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.alive() || child.pid === undefined) return;
    const pid = child.pid;
    const exited = this.waitExit(5000);
    process.kill(pid, 'SIGTERM');
    if ((await exited) === undefined && this.alive()) {
      const gone = this.waitExit(5000);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await gone;
    }
    // A stop we asked for is not a crash.
    this.exits.pop();
  }

  /** SIGKILL now, by pid (memory cap, time budget); the exit is recorded as the runner's doing. */
  kill(): void {
    if (this.alive() && this.child?.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
  }

  /** For exit paths: SIGKILL by pid and remove the data dir, synchronously. */
  killSync(): void {
    this.kill();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    await this.stopProcess();
    await new Promise<void>((r) => this.log.end(r));
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** RabbitMQ's node on this machine, used as it is. */
export class RabbitMqTarget implements Target {
  readonly kind = 'rabbitmq' as const;
  readonly host = '127.0.0.1';
  readonly exits: ExitInfo[] = [];
  pid: number | undefined;

  constructor(
    public amqpPort: number,
    public httpBase: string,
  ) {
    this.pid = listeningPid(amqpPort);
  }

  alive(): boolean {
    return this.pid === undefined ? true : pidAlive(this.pid);
  }
  stdoutLines(): number {
    return rabbitLogLines(this.pid);
  }
  async ensure(): Promise<boolean> {
    if (!this.alive()) throw new Error('the RabbitMQ node is not running; it is not ours to start');
    return false;
  }
  restart(): Promise<number> {
    throw new Error('the RabbitMQ node is not restarted by the probes');
  }
  fresh(): Promise<void> {
    throw new Error('the RabbitMQ node is not reset by the probes');
  }
  async waitExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    await sleep(Math.min(timeoutMs, 100));
    return undefined;
  }
  async stop(): Promise<void> {
    // not ours
  }
}

/** The pid of the process listening on a local TCP port (ss -ltnp), if visible. */
export function listeningPid(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lines in the RabbitMQ node's log files (read only): the files its process holds open whose names end in .log
 * (Mnesia's LATEST.LOG aside); -1 if none is readable.
 */
export function rabbitLogLines(pid: number | undefined): number {
  if (pid === undefined) return -1;
  let n = 0;
  let any = false;
  try {
    const files = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.endsWith('.log') && !target.endsWith('_upgrade.log')) files.add(target);
      } catch {
        // closed meanwhile
      }
    }
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      any = true;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    }
  } catch {
    return -1;
  }
  return any ? n : -1;
}
