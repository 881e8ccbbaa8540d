/**
 * Leveret as a child process for the fuzzer, run from the sources like conformance-tests/support/child-broker.ts
 * (same require hook, same flags), but made for long runs: a fuzz run makes the broker log a line or more per
 * connection, so output is not kept in memory. The last lines are kept in a ring, error and fatal records (with
 * their stacks) and stderr are kept whole (bounded), and warn-and-above lines go to a log file. The process's
 * resident memory is sampled from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..');
/** The require hook that compiles TypeScript on load: this checkout's, whichever sources the broker runs from. */
const TS_REGISTER = join(REPO_ROOT, 'conformance-tests', 'support', 'ts-register.cjs');
const STARTED_MSG = 'leveret started';
const START_TIMEOUT_MS = 30_000;
const TAIL_LINES = 300;
const MAX_KEPT_RECORDS = 200;
const MAX_LOG_FILE_BYTES = 64 * 1024 * 1024;
const RSS_SAMPLE_MS = 200;
/** pino levels. */
const WARN = 40;
/** What Node prints on stderr when its inspector opens and closes: not the broker's output. */
const INSPECTOR_CHATTER = /^(Debugger listening on |For help, see: https:\/\/nodejs\.org|Debugger attached\.|Debugger ending on |Waiting for the debugger to disconnect)/;
const ERROR = 50;

export interface BrokerRecord {
  level?: number;
  time?: number;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
  [key: string]: unknown;
}

export class BrokerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  url = '';
  httpUrl = '';
  /** Exit code, or 128 + signal; undefined while running. */
  exitCode: number | undefined;
  exitSignal: string | undefined;
  readonly exited: Promise<number>;
  /** Error-and-above records (bounded), with their stacks. */
  readonly errors: BrokerRecord[] = [];
  /** Every stderr line (bounded). */
  readonly stderr: string[] = [];
  /** 'internal error while handling a frame' records by message, with one stack each. */
  readonly internalErrors = new Map<string, { count: number; stack: string }>();
  private readonly tail: string[] = [];
  private readonly logFile: WriteStream;
  private logBytes = 0;
  private rssTimer: NodeJS.Timeout | undefined;
  peakRssBytes = 0;
  lastRssBytes = 0;
  private onStarted: ((rec: BrokerRecord) => void) | undefined;
  /** host:port of the inspector, once SIGUSR1 has opened it. */
  private inspector: string | undefined;

  private constructor(dataDir: string, logPath: string, extraArgs: string[], sources: string) {
    // --inspect-port=0: if the broker ever has to be looked into (stack()), its inspector takes a free port
    // rather than 9229, which another process may hold.
    const args = ['--inspect-port=0', '-r', TS_REGISTER, join(sources, 'src', 'main.ts'), '--port', '0', '--bind', '127.0.0.1', '--http-port', '0', '--http-bind', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'info', ...extraArgs];
    mkdirSync(dirname(logPath), { recursive: true });
    this.logFile = createWriteStream(logPath);
    this.logFile.on('error', () => {
      // a log file we cannot write is not worth stopping the run for
    });
    // Its own process group: a Ctrl-C in the terminal reaches the fuzzer only, which then stops the broker itself
    // (a broker shutting down on the terminal's SIGINT would look like a crash).
    this.child = spawn(process.execPath, args, { cwd: sources, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', AMQP_URL: '' } });
    if (this.child.pid === undefined) throw new Error('could not spawn the broker');
    this.pid = this.child.pid;
    liveChildren.add(this.pid);
    this.exited = new Promise<number>((resolve) => {
      this.child.once('close', (code, signal) => {
        liveChildren.delete(this.pid);
        clearInterval(this.rssTimer);
        this.exitSignal = signal ?? undefined;
        this.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : signal === 'SIGABRT' ? 6 : signal === 'SIGSEGV' ? 11 : 0);
        this.logFile.end();
        resolve(this.exitCode);
      });
    });
    this.lines(this.child.stdout!, (line) => this.onStdout(line));
    this.lines(this.child.stderr!, (line) => {
      const inspector = /^Debugger listening on ws:\/\/([^/]+)\//.exec(line);
      if (inspector !== null) this.inspector = inspector[1];
      if (INSPECTOR_CHATTER.test(line)) return;
      if (this.stderr.length < 2000) this.stderr.push(line);
      this.keep(`[stderr] ${line}`, true);
    });
    this.rssTimer = setInterval(() => this.sampleRss(), RSS_SAMPLE_MS);
    this.rssTimer.unref();
  }

  /**
   * Starts a broker on dataDir and waits for it to listen. Rejects with its last output if it exits first.
   * `sources` is the checkout whose src/main.ts runs (default: this one; another one to compare before and after).
   */
  static async start(dataDir: string, logPath: string, extraArgs: string[] = [], sources: string = REPO_ROOT): Promise<BrokerProcess> {
    const b = new BrokerProcess(dataDir, logPath, extraArgs, sources);
    const started = new Promise<BrokerRecord>((resolve, reject) => {
      const timer = setTimeout(() => {
        b.kill();
        reject(new Error(`broker did not start within ${START_TIMEOUT_MS} ms:\n${b.lastLines(40).join('\n')}`));
      }, START_TIMEOUT_MS);
      b.onStarted = (rec) => {
        clearTimeout(timer);
        resolve(rec);
      };
      void b.exited.then((code) => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`broker exited with ${code} before it started:\n${b.lastLines(40).join('\n')}`), { broker: b }));
      });
    });
    const rec = await started;
    const first = (list: unknown): string | undefined => (Array.isArray(list) && typeof list[0] === 'string' ? list[0] : undefined);
    const amqp = first(rec['amqp']);
    const http = first(rec['http']);
    if (amqp === undefined) throw new Error(`'${STARTED_MSG}' without an amqp address: ${JSON.stringify(rec)}`);
    b.url = `amqp://guest:guest@${amqp}`;
    b.httpUrl = http !== undefined ? `http://${http}` : '';
    return b;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  lastLines(n = TAIL_LINES): string[] {
    return this.tail.slice(-n);
  }

  /** SIGTERM (graceful shutdown); SIGKILL after timeoutMs. Resolves with the exit code. */
  async stop(timeoutMs = 10_000): Promise<{ code: number; graceful: boolean }> {
    if (!this.running) return { code: this.exitCode!, graceful: true };
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([this.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      this.kill();
      return { code: await this.exited, graceful: false };
    }
    return { code: this.exitCode!, graceful: true };
  }

  /**
   * The JavaScript stack of a broker whose event loop is stuck, through Node's own inspector: SIGUSR1 opens it
   * (on the free port chosen at spawn), then `node inspect host:port`, pause, backtrace. Best effort: '' when it
   * cannot attach.
   */
  async stack(timeoutMs = 20_000): Promise<string> {
    if (!this.running) return '';
    try {
      process.kill(this.pid, 'SIGUSR1');
    } catch {
      return '';
    }
    for (let waited = 0; this.inspector === undefined && waited < 3000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const address = this.inspector;
    if (address === undefined || !this.running) return '';
    return new Promise((resolve) => {
      const dbg = spawn(process.execPath, ['inspect', address], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      const collect = (d: Buffer): void => {
        if (out.length < 1_000_000) out += d.toString('utf8');
      };
      dbg.stdout.on('data', collect);
      dbg.stderr.on('data', collect);
      dbg.stdin.on('error', () => {
        // the debugger went away first
      });
      const steps = [
        setTimeout(() => dbg.stdin.write('pause\n'), 1500),
        setTimeout(() => dbg.stdin.write('backtrace\n'), 6000),
        setTimeout(() => dbg.stdin.end('.exit\n'), 10_000),
        setTimeout(() => dbg.kill('SIGKILL'), timeoutMs),
      ];
      dbg.on('close', () => {
        for (const t of steps) clearTimeout(t);
        const frames = out
          .split('\n')
          .map((l) => l.replace(/^(debug> )+/, ''))
          .filter((l) => /^#\d+ /.test(l));
        resolve(frames.join('\n'));
      });
    });
  }

  /** SIGKILL by pid; safe to call at any time. */
  kill(): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private sampleRss(): void {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      if (m !== null) {
        this.lastRssBytes = Number(m[1]) * 1024;
        if (this.lastRssBytes > this.peakRssBytes) this.peakRssBytes = this.lastRssBytes;
      }
    } catch {
      // not on Linux, or the process is gone
    }
  }

  private onStdout(line: string): void {
    let rec: BrokerRecord | undefined;
    if (line.startsWith('{')) {
      try {
        rec = JSON.parse(line) as BrokerRecord;
      } catch {
        rec = undefined;
      }
    }
    const level = rec?.level ?? ERROR;
    this.keep(line, level >= WARN);
    if (rec === undefined) return;
    if (rec.msg === STARTED_MSG) this.onStarted?.(rec);
    if (level >= ERROR) {
      if (this.errors.length < MAX_KEPT_RECORDS || level > ERROR) this.errors.push(rec);
      if (level === ERROR) {
        const key = `${rec.msg ?? ''}: ${rec.err?.message ?? ''}`;
        const e = this.internalErrors.get(key);
        if (e !== undefined) e.count++;
        else this.internalErrors.set(key, { count: 1, stack: rec.err?.stack ?? '' });
      }
    }
  }

  private keep(line: string, toFile: boolean): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES * 2) this.tail.splice(0, this.tail.length - TAIL_LINES);
    if (toFile && this.logBytes < MAX_LOG_FILE_BYTES) {
      this.logBytes += line.length + 1;
      this.logFile.write(`${line}\n`);
    }
  }

  private lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line !== '') onLine(line);
      }
    });
    stream.on('end', () => {
      if (partial !== '') onLine(partial);
      partial = '';
    });
  }
}

/** Pids of children not yet exited: killed (SIGKILL, by pid) when this process exits for any reason. */
const liveChildren = new Set<number>();
process.on('exit', () => {
  for (const pid of liveChildren) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** The fatal record of a crash (uncaught exception) or the stderr of a native abort, as readable text. */
export function crashDescription(b: BrokerProcess): string {
  const fatal = b.errors.filter((r) => (r.level ?? 0) >= 60);
  const parts: string[] = [];
  for (const r of fatal) parts.push(`${r.msg ?? ''}\n${r.err?.stack ?? JSON.stringify(r.err ?? r)}`);
  if (b.stderr.length > 0) parts.push(`stderr:\n${b.stderr.slice(-40).join('\n')}`);
  if (parts.length === 0) parts.push(`no fatal record; last lines:\n${b.lastLines(20).join('\n')}`);
  return `exit ${b.exitCode}${b.exitSignal !== undefined ? ` (${b.exitSignal})` : ''}\n${parts.join('\n')}`;
}
