/**
 * One fuzz run: start Leveret as a child process on a temp data directory (or aim at --url), start the
 * well-behaved client, run attacker connections (bounded concurrency) until the mutated-frame target, with a
 * stop/start of the broker on the same data directory between two attack phases; then drain the good client, check
 * liveness, restart once more, and report. The broker is down when it exits (a crash) or, watched every 2 s, stops
 * answering new connections or outgrows the RSS bound (a hang: its stack is taken through the inspector, then it is
 * killed). Either way: a file with the seed, the broker's stack and every suspect connection's frames; then stop,
 * or with --keep-going restart and go on.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attack, newRecord, newStats, type AttackControl, type AttackStats, type ConnectionRecord, type Target } from './attacker';
import { BrokerProcess, crashDescription } from './broker-process';
import { crashSignature, hangSignature, rerunCommand, suspects, writeCrashFile } from './crash-file';
import { GoodClient, type GoodReport } from './good-client';
import { Janitor } from './janitor';
import { checkAmqp, checkLiveness, ManagementPoller, type Liveness, type PollStats } from './liveness';
import type { FuzzOptions } from './options';
import { buildScript, type Credentials } from './script';
import { CRASH_SLACK_MS, verdict, type CrashInfo, type FuzzReport, type RestartInfo } from './report';
import { makePools, type Pools } from './vocabulary';
import { PROBE_TIMEOUT_MS, Watchdog, type DownKind } from './watchdog';
import { sleep, within } from './time';

const RECENT_RECORDS = 256;
const PROGRESS_MS = 5000;
const GOOD_DRAIN_MS = 30_000;
const RECONNECT_WAIT_MS = 15_000;
/** A phase ends as a failure when the attackers cannot get one mutated frame out for this long. */
const STALL_MS = 60_000;
/** --keep-going: down again this soon after a restart, twice, means the data directory itself is poisoned. */
const POISONED_WITHIN_MS = 60_000;
/** How long a restarted broker is watched before attacks resume. */
const RECOVERY_WATCH_MS = 1500;

function credentialsOf(url: string): Credentials {
  const u = new URL(url);
  const vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  return { user: decodeURIComponent(u.username || 'guest'), password: decodeURIComponent(u.password || 'guest'), vhost };
}

function targetOf(url: string): Target {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 5672 : Number(u.port) };
}

/** State of a run, shared by its phases. */
class Run {
  readonly stats = newStats();
  readonly started = Date.now();
  readonly pools: Pools;
  dataDir: string | undefined;
  readonly dataDirs: string[] = [];
  broker: BrokerProcess | undefined;
  url: string;
  httpUrl: string | undefined;
  good: GoodClient | undefined;
  nextIndex = 0;
  brokerCount = 0;
  readonly inFlight = new Set<ConnectionRecord>();
  readonly recent: ConnectionRecord[] = [];
  readonly crashes: CrashInfo[] = [];
  readonly crashTimes: number[] = [];
  readonly restarts: RestartInfo[] = [];
  readonly failures: string[] = [];
  readonly warnings: string[] = [];
  readonly management: PollStats = { polls: 0, failures: 0, samples: [] };
  peakRssBytes = 0;
  /** Wall time spent in attack phases. */
  attackMs = 0;
  /** Resolves when the current broker is found down (crashed, hung, or over the RSS bound). */
  crashed: Promise<void> = new Promise<void>(() => undefined);
  private resolveDown: () => void = () => undefined;
  isCrashed = false;
  downKind: DownKind = 'crash';
  downAt = 0;
  watchdog: Watchdog | undefined;
  /** The last restart on the data directory did not come up (poisoned durable state). */
  lastRestartFailed = false;
  /** When the broker last came back up on an existing data directory (0: never restarted, or a fresh one). */
  upSince = 0;
  /** Set while the runner itself stops the broker. */
  stopping = false;
  aborted = false;
  phase = '';

  constructor(
    readonly o: FuzzOptions,
    readonly log: (line: string) => void,
  ) {
    this.pools = makePools(o.seed);
    this.url = o.url ?? '';
    this.httpUrl = o.httpUrl;
    this.dataDir = o.url === undefined ? mkdtempSync(join(tmpdir(), 'leveret-fuzz-')) : undefined;
    if (this.dataDir !== undefined) this.dataDirs.push(this.dataDir);
    if (o.url !== undefined && o.httpUrl === undefined) this.httpUrl = `http://${new URL(o.url).hostname}:15672`;
  }

  /** Error records of every broker process of the run, by message. */
  readonly brokerErrors = new Map<string, { count: number; stack: string }>();

  mergeBrokerErrors(): void {
    const b = this.broker;
    if (b === undefined) return;
    for (const [k, v] of b.internalErrors) {
      const e = this.brokerErrors.get(k);
      if (e !== undefined) e.count += v.count;
      else this.brokerErrors.set(k, { ...v });
    }
    b.internalErrors.clear();
  }

  async startBroker(): Promise<void> {
    this.mergeBrokerErrors();
    this.brokerCount++;
    const b = await BrokerProcess.start(this.dataDir!, join(this.o.outDir, `broker-${this.o.seed}-${this.brokerCount}.log`), [], this.o.sources);
    this.broker = b;
    this.url = b.url;
    this.httpUrl = b.httpUrl;
    this.armDown();
    void b.exited.then(() => {
      if (!this.stopping && this.broker === b) this.markDown('crash');
    });
  }

  /** A fresh "down" signal for the broker now running. */
  armDown(): void {
    this.isCrashed = false;
    this.crashed = new Promise<void>((resolve) => (this.resolveDown = resolve));
    this.watchdog?.reset();
  }

  markDown(kind: DownKind): void {
    if (this.isCrashed || this.stopping) return;
    this.isCrashed = true;
    this.downKind = kind;
    this.downAt = Date.now();
    this.resolveDown();
  }

  /** Probes the broker every 2 s while the attack runs (see watchdog.ts). */
  startWatchdog(): void {
    this.watchdog = new Watchdog(
      () => (this.stopping || this.isCrashed || this.url === '' ? undefined : { target: targetOf(this.url), broker: this.broker }),
      this.o.maxRssMb * 2 ** 20,
      (kind) => this.markDown(kind),
    );
  }

  remember(r: ConnectionRecord): void {
    this.inFlight.delete(r);
    this.recent.push(r);
    if (this.recent.length > RECENT_RECORDS) this.recent.splice(0, this.recent.length - RECENT_RECORDS);
  }

  sampleRss(): void {
    if (this.broker !== undefined && this.broker.peakRssBytes > this.peakRssBytes) this.peakRssBytes = this.broker.peakRssBytes;
  }

  progress(target: number): string {
    const s = this.stats;
    const rss = this.broker !== undefined ? ` rss ${(this.broker.lastRssBytes / 2 ** 20).toFixed(0)} MiB` : '';
    return `[${((Date.now() - this.started) / 1000).toFixed(0)}s] ${this.phase}: mutated ${s.mutated}/${target} frames ${s.frames} connections ${s.connections}${rss} closes ${[...s.closes.values()].reduce((a, b) => a + b, 0)} deliveries ${s.deliveries}`;
  }

  /** Runs attackers until the mutated-frame target, the deadline, a crash, or an abort. */
  async attackUntil(mutatedTarget: number, deadline: number): Promise<'target' | 'crash' | 'deadline' | 'aborted' | 'stalled'> {
    const control: AttackControl = { stopped: false };
    const t0 = Date.now();
    const running = new Set<Promise<void>>();
    const creds = credentialsOf(this.url);
    const target = targetOf(this.url);
    let lastProgress = Date.now();
    let lastMutated = this.stats.mutated;
    let movedAt = Date.now();
    let why: 'target' | 'crash' | 'deadline' | 'aborted' | 'stalled' = 'target';
    for (;;) {
      if (this.isCrashed) why = 'crash';
      else if (this.aborted) why = 'aborted';
      else if (Date.now() >= deadline) why = 'deadline';
      else if (this.stats.mutated >= mutatedTarget) why = 'target';
      else if (Date.now() - movedAt > STALL_MS) why = 'stalled';
      else {
        if (this.stats.mutated !== lastMutated) {
          lastMutated = this.stats.mutated;
          movedAt = Date.now();
        }
        while (running.size < this.o.concurrency && this.stats.mutated < mutatedTarget) {
          const script = buildScript(this.o.seed, this.nextIndex++, this.pools, this.o.rich, creds);
          const record = newRecord(script);
          this.inFlight.add(record);
          const p: Promise<void> = attack(target, script, this.stats, control, record).then(() => {
            this.remember(record);
            running.delete(p);
          });
          running.add(p);
        }
        await within(Promise.race([...running, this.crashed]), 200);
        this.sampleRss();
        if (this.o.progress && Date.now() - lastProgress >= PROGRESS_MS) {
          lastProgress = Date.now();
          this.log(this.progress(mutatedTarget));
        }
        continue;
      }
      break;
    }
    if (why === 'stalled') {
      this.failures.push(`no mutated frame could be sent for ${STALL_MS / 1000} s (${this.stats.mutated} so far): the broker stopped serving while its process ran`);
      this.log(`\nSTALLED: ${this.progress(mutatedTarget)}\n`);
    }
    if (why === 'crash') {
      // Snapshot before the attackers that are still running finish and fall out of the in-flight set.
      await this.onDown();
    }
    control.stopped = true;
    await within(Promise.all(running), 15_000);
    this.attackMs += Date.now() - t0;
    return why;
  }

  /** The broker is down: find out how, keep the evidence (crash file), and make sure the process is gone. */
  private async onDown(): Promise<void> {
    this.good?.setOutage(true);
    const b = this.broker;
    const kind = this.downKind;
    let description: string;
    let signature: string;
    let crashAt: number;
    if (kind === 'crash') {
      if (b !== undefined) await b.exited;
      const fatal = b?.errors.find((r) => (r.level ?? 0) >= 60);
      crashAt = typeof fatal?.time === 'number' ? fatal.time : this.downAt;
      description = b !== undefined ? crashDescription(b) : 'the broker at --url refuses connections';
      signature = crashSignature(b);
    } else {
      // Still running but not serving: take its stack before killing it.
      crashAt = this.watchdog?.lastAnswerAt ?? this.downAt;
      const stack = b !== undefined ? await b.stack() : '';
      const rss = b !== undefined ? `${(b.lastRssBytes / 2 ** 20).toFixed(0)} MiB` : 'unknown';
      description =
        (kind === 'memory'
          ? `RSS ${rss}, over the ${this.o.maxRssMb} MiB bound`
          : `HANG: the process runs (RSS ${rss}) but new connections got no answer to their protocol header for ${(2 * PROBE_TIMEOUT_MS) / 1000} s`) +
        (stack !== '' ? `\nits stack (inspector), innermost first:\n${stack}` : b !== undefined ? '\n(no stack: the inspector could not attach)' : '');
      signature = hangSignature(kind, stack);
      this.sampleRss();
      b?.kill();
      if (b !== undefined) await b.exited;
    }
    this.good?.excuseSince(crashAt - CRASH_SLACK_MS);
    this.crashTimes.push(crashAt);
    const n = this.crashes.length + 1;
    const file = writeCrashFile(
      this.o.outDir,
      `${kind === 'crash' ? 'crash' : 'hang'}-seed${this.o.seed}-${n}.json`,
      {
        seed: this.o.seed,
        rich: this.o.rich,
        rerun: rerunCommand(this.o),
        phase: this.phase,
        at: { frames: this.stats.frames, mutated: this.stats.mutated, connections: this.stats.connections, elapsedMs: Date.now() - this.started },
        broker: { exit: `${b?.exitCode ?? '?'}${b?.exitSignal !== undefined ? ` ${b.exitSignal}` : ''}`, description, fatal: b?.errors.filter((r) => (r.level ?? 0) >= 60) ?? [], lastLines: b?.lastLines(200) ?? [] },
      },
      suspects([...this.inFlight, ...this.recent], crashAt),
      crashAt,
    );
    this.crashes.push({ signature, phase: this.phase, frames: this.stats.frames, mutated: this.stats.mutated, connections: this.stats.connections, elapsedMs: Date.now() - this.started, description, file });
    const shown = description.split('\n');
    const brief = shown.length > 30 ? [...shown.slice(0, 16), `    ... ${shown.length - 30} more frames ...`, ...shown.slice(-14)] : shown;
    this.log(`\nBROKER ${kind === 'crash' ? 'CRASHED' : 'DOWN'} after ${this.stats.mutated} mutated frames (${this.stats.frames} frames, ${this.stats.connections} connections):\n${brief.join('\n')}\nfile: ${file}\n`);
  }

  /** Stops the broker (SIGTERM) and starts it again on the same data directory; the good client follows. */
  async restart(why: string, afterCrash: boolean): Promise<boolean> {
    this.lastRestartFailed = true;
    const info: RestartInfo = { why, stop: '', start: '', ok: false };
    this.restarts.push(info);
    this.good?.setOutage(true);
    if (!afterCrash && this.broker !== undefined) {
      this.stopping = true;
      const t0 = Date.now();
      const r = await this.broker.stop(10_000);
      this.sampleRss();
      info.stop = `${r.graceful ? 'exited' : 'KILLED after 10 s without exiting'} with ${r.code} in ${Date.now() - t0} ms`;
      if (!r.graceful) this.failures.push(`broker did not exit within 10 s of SIGTERM (${why})`);
      this.stopping = false;
    } else {
      info.stop = 'crashed';
    }
    const t1 = Date.now();
    try {
      await this.startBroker();
    } catch (err) {
      info.start = `FAILED: ${(err as Error).message}`;
      this.failures.push(`broker did not start again on its data directory (${why}): ${(err as Error).message.split('\n').slice(0, 12).join('\n')}`);
      return false;
    }
    info.start = `started in ${Date.now() - t1} ms`;
    const b = this.broker!;
    const startedAt = Date.now();
    if (this.good !== undefined && !this.good.finished) {
      this.good.setOutage(true, this.url);
      const until = Date.now() + RECONNECT_WAIT_MS;
      while (!this.good.connected && b.running && Date.now() < until) await sleep(50);
      if (!this.good.connected && b.running) this.warnings.push(`the good client did not reconnect within ${RECONNECT_WAIT_MS} ms after ${why}`);
    }
    // Recovery work (expiring, dead-lettering and redelivering recovered messages) runs just after the start: a
    // poisoned durable message shows here, and would show at every start.
    await within(b.exited, RECOVERY_WATCH_MS);
    if (!b.running) {
      const description = crashDescription(b);
      this.crashes.push({ signature: crashSignature(b), phase: `start after ${why}`, frames: this.stats.frames, mutated: this.stats.mutated, connections: this.stats.connections, elapsedMs: Date.now() - this.started, description, file: '(crashed while recovering its data directory)' });
      info.start += `, then CRASHED ${Date.now() - startedAt} ms later`;
      this.failures.push(`broker crashed again within ${Date.now() - startedAt} ms of starting on its data directory (${why}); poisoned durable state?\n${description.split('\n').slice(0, 14).join('\n')}`);
      this.log(`\nBROKER CRASHED AGAIN after restarting on its data directory (${why}):\n${description}\n`);
      return false;
    }
    this.good?.setOutage(false);
    info.ok = true;
    this.lastRestartFailed = false;
    this.upSince = Date.now();
    return true;
  }

  /**
   * --keep-going, when the data directory will not start any more: a new broker on a new directory, and a new good
   * client (the old one's queue stays behind in the poisoned directory, so its figures are not checked).
   */
  async freshStart(): Promise<boolean> {
    this.dataDir = mkdtempSync(join(tmpdir(), 'leveret-fuzz-'));
    this.dataDirs.push(this.dataDir);
    try {
      await this.startBroker();
    } catch (err) {
      this.failures.push(`broker did not start on a fresh data directory: ${(err as Error).message.split('\n')[0]}`);
      return false;
    }
    this.upSince = 0;
    this.log(`(keep-going: a fresh data directory, ${this.dataDir})`);
    if (this.good !== undefined) {
      await this.good.abort();
      this.warnings.push(`the good client's queue ${this.good.queue} was left in a data directory that no longer starts; a new one took over`);
      this.good = new GoodClient(this.url, `fuzz.good.${this.o.seed}.${randomBytes(3).toString('hex')}`);
      this.good.start();
    }
    return true;
  }
}

export async function runFuzz(o: FuzzOptions, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`), abort?: { aborted: boolean }): Promise<FuzzReport> {
  mkdirSync(o.outDir, { recursive: true });
  const run = new Run(o, log);
  if (abort !== undefined) {
    const t = setInterval(() => {
      if (abort.aborted) run.aborted = true;
    }, 100);
    t.unref();
  }
  let stopPolling = (): void => undefined;
  let good: GoodReport | undefined;
  let liveness: Liveness | undefined;
  let finalRestart: string | undefined;
  try {
    if (o.url === undefined) await run.startBroker();
    run.startWatchdog();
    log(`fuzzing ${run.url.replace(/\/\/[^@]*@/, '//')} seed ${o.seed}${o.rich ? ' (rich)' : ''}: ${o.frames} mutated frames, concurrency ${o.concurrency}${run.dataDir !== undefined ? `, data dir ${run.dataDir}` : ''}`);
    run.good = new GoodClient(run.url, `fuzz.good.${o.seed}.${randomBytes(3).toString('hex')}`);
    run.good.start();
    const poller = new ManagementPoller(() => (run.isCrashed || run.stopping ? undefined : { httpUrl: run.httpUrl, amqpUrl: run.url }), run.management);
    const janitor = new Janitor(() => (run.isCrashed || run.stopping ? undefined : run.url), run.pools);
    stopPolling = () => {
      poller.stop();
      janitor.stop();
      log(`janitor purged ${janitor.purged} messages from the attackers' queues`);
    };
    const deadline = Date.now() + o.durationMs;
    const phases = o.restart && o.url === undefined ? [['phase 1', 0.6], ['phase 2', 1]] as const : [['attack', 1]] as const;
    for (let p = 0; p < phases.length; p++) {
      const [name, share] = phases[p]!;
      run.phase = name;
      const target = Math.ceil(o.frames * share);
      let why = await run.attackUntil(target, deadline);
      let quickDowns = 0;
      while (why === 'crash' && o.keepGoing && o.url === undefined && !run.aborted) {
        // Down again soon after coming back on the same directory: the durable state itself brings it down.
        quickDowns = run.upSince !== 0 && run.downAt - run.upSince < POISONED_WITHIN_MS ? quickDowns + 1 : 0;
        if (quickDowns >= 2) {
          run.failures.push(`the broker went down again within ${POISONED_WITHIN_MS / 1000} s of each restart on its data directory (${run.crashes[run.crashes.length - 1]?.signature ?? '?'}): poisoned durable state`);
          quickDowns = 0;
          if (!(await run.freshStart())) break;
        } else if (!(await run.restart(`crash ${run.crashes.length}`, true)) && !(await run.freshStart())) break;
        why = await run.attackUntil(target, deadline);
      }
      if (why === 'crash' || why === 'aborted' || why === 'stalled' || (run.failures.length > 0 && !o.keepGoing)) break;
      if (why === 'deadline') {
        run.warnings.push(`duration cap reached after ${run.stats.mutated} of ${o.frames} mutated frames`);
        break;
      }
      if (p < phases.length - 1 && !(await run.restart('restart phase', false))) {
        if (!o.keepGoing || !(await run.freshStart())) break;
      }
    }
    stopPolling();
    if (!run.aborted) {
      // After a crash the broker is started once more on its data directory, so that the good client can still
      // check that nothing it had confirmed was lost (a crash must not lose confirmed messages either).
      if (run.isCrashed && o.url === undefined && !run.lastRestartFailed && (run.failures.length === 0 || o.keepGoing)) {
        await run.restart('after the crash, to drain the good client', true);
      }
      if (!run.isCrashed && run.broker?.running !== false) {
        log(`draining the good client (up to ${GOOD_DRAIN_MS / 1000} s)...`);
        good = await run.good.finish(GOOD_DRAIN_MS);
        liveness = await checkLiveness(run.url, run.httpUrl);
        run.sampleRss();
        if (o.url === undefined && run.broker?.running === true) {
          finalRestart = (await run.restart('final restart check', false)) ? await checkAmqp(run.url) : 'did not start';
        }
      } else {
        await run.good.abort();
        run.warnings.push('the good client was not checked: the broker was not up to drain it');
      }
    } else {
      await run.good.abort();
    }
  } finally {
    stopPolling();
    run.watchdog?.stop();
    run.sampleRss();
    run.stopping = true;
    if (run.broker?.running === true) {
      const r = await run.broker.stop(10_000);
      if (!r.graceful) run.failures.push('broker did not exit within 10 s of SIGTERM at the end of the run');
    }
    run.broker?.kill();
  }
  run.mergeBrokerErrors();
  const r = verdict(run, good, liveness, finalRestart);
  if (r.failures.length === 0) for (const d of run.dataDirs) rmSync(d, { recursive: true, force: true });
  return r;
}
