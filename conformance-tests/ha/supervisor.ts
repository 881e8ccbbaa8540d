/**
 * The ha-test's supervisor: it runs the Leveret nodes as child processes and, as systemd would with
 * Restart=always, starts a node again a short pause after it exits, whatever the exit code. The fault loop kills,
 * pauses and resumes nodes through it, by pid.
 *
 * Every node's stdout and stderr go to <dir>/<node>.log; pino records that matter to the harness (a node became
 * active, lost leadership, is a standby, started; anything at error or above) are kept as events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { nodeArgs, REPO_ROOT, type NodeSpec, type StoreKind } from './target';

export interface NodeEvent {
  /** Date.now() when the harness read the line. */
  t: number;
  node: string;
  msg: string;
  record: Record<string, unknown>;
}

export interface ExitRecord {
  t: number;
  node: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The harness sent the signal that ended it (a kill -9 fault, or the final stop). */
  byHarness: boolean;
}

const KEPT_MESSAGES = new Set(['became active', 'lost leadership', 'standby', 'leveret started']);
const PINO_ERROR = 50;

/** Every pid the supervisors of this process have running: killed synchronously on exit. */
const livePids = new Set<number>();

export function killAllNodesNow(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  livePids.clear();
}

export class NodeProcess {
  child: ChildProcess | undefined;
  paused = false;
  starts = 0;
  private harnessSignalled = false;

  constructor(
    readonly spec: NodeSpec,
    private readonly sup: Supervisor,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  spawn(): void {
    if (this.starts > 0 && this.sup.wipeDataOnRestart) {
      // The harness's self-check: a node that comes back without its disk loses what it confirmed.
      rmSync(this.spec.dataDir, { recursive: true, force: true });
      mkdirSync(this.spec.dataDir, { recursive: true });
    }
    const child = spawn(process.execPath, nodeArgs(this.sup.kind, this.spec), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', AMQP_URL: '' },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not spawn node ${this.spec.name}`);
    this.child = child;
    this.paused = false;
    this.harnessSignalled = false;
    this.starts++;
    livePids.add(pid);
    const log = this.sup.logFile(this.spec.name);
    log.write(`--- harness: start ${this.starts} of ${this.spec.name}, pid ${pid}, ${new Date().toISOString()}\n`);
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      log.write(chunk);
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.startsWith('{')) this.onLine(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
    child.once('close', (code, signal) => {
      livePids.delete(pid);
      if (this.child === child) this.child = undefined;
      this.paused = false;
      this.sup.exits.push({ t: Date.now(), node: this.spec.name, pid, code, signal, byHarness: this.harnessSignalled });
      log.write(`--- harness: pid ${pid} exited (code ${code}, signal ${signal})\n`);
      this.sup.onExit(this);
    });
  }

  private onLine(line: string): void {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const msg = typeof record.msg === 'string' ? record.msg : '';
    const level = typeof record.level === 'number' ? record.level : 0;
    if (KEPT_MESSAGES.has(msg) || level >= PINO_ERROR) this.sup.events.push({ t: Date.now(), node: this.spec.name, msg, record });
  }

  signal(sig: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined) return false;
    if (sig === 'SIGKILL' || sig === 'SIGTERM') this.harnessSignalled = true;
    try {
      process.kill(pid, sig);
    } catch {
      return false;
    }
    if (sig === 'SIGSTOP') this.paused = true;
    if (sig === 'SIGCONT') this.paused = false;
    return true;
  }
}

export class Supervisor {
  readonly nodes: NodeProcess[];
  readonly events: NodeEvent[] = [];
  readonly exits: ExitRecord[] = [];
  private stopping = false;
  private readonly logs = new Map<string, WriteStream>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly kind: StoreKind,
    specs: NodeSpec[],
    private readonly dir: string,
    private readonly restartDelayMs: number,
    /** Sabotage for the harness's own test: every restart starts on an empty data directory. */
    readonly wipeDataOnRestart = false,
  ) {
    this.nodes = specs.map((s) => new NodeProcess(s, this));
  }

  logFile(node: string): WriteStream {
    let s = this.logs.get(node);
    if (s === undefined) {
      s = createWriteStream(join(this.dir, `${node}.log`), { flags: 'a' });
      this.logs.set(node, s);
    }
    return s;
  }

  startAll(): void {
    for (const n of this.nodes) n.spawn();
  }

  onExit(n: NodeProcess): void {
    if (this.stopping) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping && !n.running) n.spawn();
    }, this.restartDelayMs);
    this.timers.add(timer);
  }

  /** SIGCONT to every paused node. */
  resumeAll(): void {
    for (const n of this.nodes) if (n.paused) n.signal('SIGCONT');
  }

  /** Stops restarting, then SIGTERM (SIGKILL after graceMs) to every node, by pid; resolves when all are gone. */
  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(
      this.nodes.map(async (n) => {
        const child = n.child;
        if (child === undefined) return;
        const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
        n.signal('SIGCONT');
        n.signal('SIGTERM');
        const timer = setTimeout(() => n.signal('SIGKILL'), graceMs);
        await gone;
        clearTimeout(timer);
      }),
    );
    await Promise.all([...this.logs.values()].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }
}
