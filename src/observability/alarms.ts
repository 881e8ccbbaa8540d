import { readFileSync, statfs, statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';
import type { ResourceLimit } from '../config/settings';
import type { Store } from '../store/store';

/*
 * Resource alarms, as RabbitMQ's vm_memory_monitor and rabbit_disk_monitor raise them: the process's resident
 * memory (RSS, RabbitMQ's default vm_memory_calculation_strategy) is sampled every second against the memory high
 * watermark, the free space of the data directory's file system every few seconds against the disk free limit.
 * A store that cannot write raises the disk alarm too (source 'store'), until it writes again. Listeners (the
 * connections, through broker.ts) hear every change of the set of resources in alarm. Nothing here runs per message.
 */

/** RabbitMQ's resource names, as the health checks and /api/nodes show them. */
export type AlarmResource = 'memory' | 'disk';
/** What raised an alarm: the memory monitor, the disk monitor, or the store's writes failing (a disk alarm). */
type AlarmSource = 'memory' | 'disk' | 'store';

/** RabbitMQ's memory check interval (vm_memory_monitor's default, 1 s). */
export const MEMORY_INTERVAL_MS = 1000;
/** Free space is read less often: a statfs is a system call, and disks fill more slowly than memory. */
export const DISK_INTERVAL_MS = 5000;
/** Shortest time between two full collections run by the memory check while over the watermark. */
const GC_INTERVAL_MS = 5000;

export interface ResourceAlarmOptions {
  readonly memoryHighWatermark: ResourceLimit;
  readonly diskFreeLimit: ResourceLimit;
  /** The data directory; none (a memory store) means no disk alarm. */
  readonly dataDir?: string | undefined;
  readonly logger?: Logger;
  readonly memoryIntervalMs?: number;
  readonly diskIntervalMs?: number;
}

/** The figures /api/nodes and Prometheus show. */
export interface AlarmFigures {
  readonly memUsed: number;
  readonly memLimit: number;
  readonly memAlarm: boolean;
  /** Free bytes on the data directory's file system; undefined without one (or when it cannot be read). */
  readonly diskFree: number | undefined;
  readonly diskFreeLimit: number;
  readonly diskFreeAlarm: boolean;
}

export type AlarmListener = (resources: readonly AlarmResource[]) => void;

/** Total memory available to this process: the machine's, or its cgroup's limit when lower (v2, then v1). */
export function availableMemory(read: (file: string) => string = (file) => readFileSync(file, 'latin1')): number {
  const total = totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = read(file).trim();
    } catch {
      continue;
    }
    const limit = Number(text);
    // "max" (v2) or a page-rounded 2^63 (v1) mean no limit.
    if (/^\d+$/.test(text) && limit > 0 && limit < total) return limit;
    if (text === 'max' || /^\d+$/.test(text)) return total;
  }
  return total;
}

/** A threshold in bytes: absolute as given, relative to available memory (the memory watermark at most 1.0 of it). */
export function limitBytes(limit: ResourceLimit, memory: number, clampToOne: boolean): number {
  if ('absolute' in limit) return limit.absolute;
  const fraction = clampToOne ? Math.min(limit.relative, 1) : limit.relative;
  return Math.floor(memory * fraction);
}

/** Free bytes for unprivileged use on the file system of `dir`. */
function freeBytes(fs: { bavail: number | bigint; bsize: number | bigint }): number {
  return Number(fs.bavail) * Number(fs.bsize);
}

export class ResourceAlarms {
  /** How long the store's writes may keep failing before it is given up (fatal). */
  storeGiveUpMs = STORE_GIVE_UP_MS;
  private fatalHandler: ((err: Error) => void) | undefined;
  private fatalError: Error | undefined;
  private readonly sources = new Set<AlarmSource>();
  private readonly listeners: AlarmListener[] = [];
  private readonly memory = availableMemory();
  private memLimitBytes: number;
  private diskLimitBytes: number;
  private memUsedBytes = 0;
  /** When the memory check last ran a full collection (ms since the epoch). */
  private lastCollection = 0;
  /** RSS less the V8 heap and external memory, at construction: the native part (code, libraries). */
  private readonly nativeBytes = nativeMemory();
  private diskFreeBytes: number | undefined;
  private memTimer: NodeJS.Timeout | undefined;
  private diskTimer: NodeJS.Timeout | undefined;
  private diskReading = false;
  /** stop() was called (the broker is closing): nothing more is sampled, and a store's give-up is no longer fatal. */
  stopped = false;
  private storeError = '';

  constructor(private readonly options: ResourceAlarmOptions) {
    this.memLimitBytes = limitBytes(options.memoryHighWatermark, this.memory, true);
    this.diskLimitBytes = limitBytes(options.diskFreeLimit, this.memory, false);
  }

  /** Starts sampling: memory every second, free disk space every few seconds (when there is a data directory). */
  start(): void {
    this.checkMemory();
    this.checkDiskNow();
    this.memTimer = setInterval(() => this.checkMemory(), this.options.memoryIntervalMs ?? MEMORY_INTERVAL_MS);
    this.memTimer.unref();
    if (this.options.dataDir === undefined) return;
    this.diskTimer = setInterval(() => this.checkDisk(), this.options.diskIntervalMs ?? DISK_INTERVAL_MS);
    this.diskTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.memTimer !== undefined) clearInterval(this.memTimer);
    if (this.diskTimer !== undefined) clearInterval(this.diskTimer);
    this.memTimer = this.diskTimer = undefined;
  }

  /**
   * Called once when the store can write no more (at once if that already happened): the `leveret` command exits 1
   * so that a supervisor restarts it. Without a handler it is only logged, and persistent publishes stay refused.
   */
  onFatal(handler: (err: Error) => void): void {
    this.fatalHandler = handler;
    if (this.fatalError !== undefined) handler(this.fatalError);
  }

  /** The store can write no more (watchStoreWrites): once, and not after stop(). */
  fatal(err: Error): void {
    if (this.fatalError !== undefined || this.stopped) return;
    this.fatalError = err;
    this.fatalHandler?.(err);
  }

  /** Called with the resources in alarm each time that set changes. */
  onChange(listener: AlarmListener): void {
    this.listeners.push(listener);
  }

  /** RabbitMQ's connection.blocked reason for the alarms in effect ("low on memory"); undefined when none is. */
  get reason(): string | undefined {
    const resources = this.resources;
    return resources.length === 0 ? undefined : blockedReason(resources);
  }

  /** Resources in alarm now, memory first. */
  get resources(): AlarmResource[] {
    const out: AlarmResource[] = [];
    if (this.sources.has('memory')) out.push('memory');
    if (this.sources.has('disk') || this.sources.has('store')) out.push('disk');
    return out;
  }

  get figures(): AlarmFigures {
    const resources = this.resources;
    return {
      memUsed: this.memUsedBytes,
      memLimit: this.memLimitBytes,
      memAlarm: resources.includes('memory'),
      diskFree: this.diskFreeBytes,
      diskFreeLimit: this.diskLimitBytes,
      diskFreeAlarm: resources.includes('disk'),
    };
  }

  /** A new memory high watermark (rabbitmqctl set_vm_memory_high_watermark), checked at once. */
  setMemoryHighWatermark(limit: ResourceLimit): void {
    this.memLimitBytes = limitBytes(limit, this.memory, true);
    this.checkMemory();
  }

  /** A new disk free limit (rabbitmqctl set_disk_free_limit), checked at once. */
  setDiskFreeLimit(limit: ResourceLimit): void {
    this.diskLimitBytes = limitBytes(limit, this.memory, false);
    this.checkDiskNow();
  }

  /** The store cannot write (`error`), or writes again (undefined): the disk alarm's third source. */
  storeFailing(error: string | undefined): void {
    if (error === undefined) {
      if (!this.sources.has('store')) return;
      this.logger?.info({ after: this.storeError }, 'store write alarm cleared: the store writes again');
      this.update('store', false);
      return;
    }
    if (this.sources.has('store')) return;
    this.storeError = error;
    this.logger?.warn({ error }, 'store write alarm set: the store cannot write; publishers are blocked until it clears');
    this.update('store', true);
  }

  /**
   * Samples memory now: resident memory (RSS), and over the watermark, what remains of it once garbage is collected.
   * V8 collects when it allocates, and a broker whose publishers are blocked and whose queues have drained allocates
   * next to nothing: so a full collection runs first. Even then the allocator keeps most freed pages (measured: RSS
   * stayed at 290 MB for 30 s after a drained queue, with 37 MB of live heap and buffers), and an alarm on RSS alone
   * would never clear. So the figure is the lower of RSS and what the process holds: the V8 heap and the memory
   * outside it (buffers), plus the native part measured at start (code, libraries), which does not grow with messages.
   */
  checkMemory(): void {
    let used = process.memoryUsage.rss();
    if (used > this.memLimitBytes) {
      // A full collection pauses the broker (40-125 ms measured): at most one every GC_INTERVAL_MS.
      const now = Date.now();
      if (now - this.lastCollection >= GC_INTERVAL_MS && collectGarbage()) this.lastCollection = now;
      const after = process.memoryUsage();
      used = Math.min(after.rss, this.nativeBytes + after.heapTotal + after.external);
    }
    this.memUsedBytes = used;
    const over = used > this.memLimitBytes;
    if (over === this.sources.has('memory')) return;
    const figures = { memUsed: used, memLimit: this.memLimitBytes };
    if (over) this.logger?.warn(figures, 'memory resource limit alarm set: publishers are blocked until it clears');
    else this.logger?.info(figures, 'memory resource limit alarm cleared');
    this.update('memory', over);
  }

  /** Reads free disk space now (synchronously: at start and when the limit changes). */
  checkDiskNow(): void {
    const dir = this.options.dataDir;
    if (dir === undefined) return;
    let free: number | undefined;
    try {
      free = freeBytes(statfsSync(dir));
    } catch (err) {
      this.logger?.warn({ err, dataDir: dir }, 'cannot read the free disk space of the data directory');
    }
    this.diskChecked(free);
  }

  private checkDisk(): void {
    const dir = this.options.dataDir;
    if (dir === undefined || this.diskReading) return;
    this.diskReading = true;
    statfs(dir, (err, fs) => {
      this.diskReading = false;
      if (!this.stopped) this.diskChecked(err === null ? freeBytes(fs) : undefined);
    });
  }

  /** A free-space reading; undefined (unreadable) leaves the alarm as it was. */
  private diskChecked(free: number | undefined): void {
    this.diskFreeBytes = free;
    if (free === undefined) return;
    const low = free < this.diskLimitBytes;
    if (low === this.sources.has('disk')) return;
    const figures = { diskFree: free, diskFreeLimit: this.diskLimitBytes, dataDir: this.options.dataDir };
    if (low) this.logger?.warn(figures, 'disk resource limit alarm set: publishers are blocked until it clears');
    else this.logger?.info(figures, 'disk resource limit alarm cleared');
    this.update('disk', low);
  }

  private update(source: AlarmSource, on: boolean): void {
    const before = this.resources.join();
    if (on) this.sources.add(source);
    else this.sources.delete(source);
    const resources = this.resources;
    if (resources.join() === before) return;
    for (const listener of this.listeners) listener(resources);
  }

  private get logger(): Logger | undefined {
    return this.options.logger;
  }
}

function nativeMemory(): number {
  const m = process.memoryUsage();
  return Math.max(0, m.rss - m.heapTotal - m.external);
}

let gc: (() => void) | null | undefined;

/**
 * A full garbage collection, through V8's gc extension (exposed on first use, as --expose-gc would at start);
 * false where it cannot be had.
 */
function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      const exposed = (globalThis as { gc?: () => void }).gc;
      if (exposed === undefined) setFlagsFromString('--expose-gc');
      gc = exposed ?? (runInNewContext('gc') as () => void);
    } catch {
      gc = null;
    }
  }
  if (gc === null) return false;
  gc();
  return true;
}

/** RabbitMQ's connection.blocked reason: "low on memory", "low on disk", "low on memory & disk". */
export function blockedReason(resources: readonly AlarmResource[]): string {
  return `low on ${resources.join(' & ')}`;
}

/** How long store writes may keep failing before the broker gives the store up. */
export const STORE_GIVE_UP_MS = 60_000;

/**
 * A store that cannot write (disk full, I/O errors) raises the disk alarm: publishers are blocked, and persistent
 * publishes that still arrive are refused (channel/publish.ts); failed batches wait for their retry, unconfirmed.
 * The alarm clears when a batch is written again. A store that can write no more (its writer thread is gone, or its
 * writes kept failing for giveUpMs) is fatal: logged, then onFatal. Nothing confirmed is lost either way: a confirm
 * goes out only after its commit.
 */
export function watchStoreWrites(store: Store, alarms: ResourceAlarms, logger: Logger): void {
  let giveUp: NodeJS.Timeout | undefined;
  let fatal = false;
  const die = (reason: string): void => {
    if (fatal || alarms.stopped) return;
    fatal = true;
    if (giveUp !== undefined) clearTimeout(giveUp);
    logger.fatal({ reason }, 'the store can write no more: confirmed messages are on disk, nothing new can be stored');
    alarms.fatal(new Error(`the store can write no more: ${reason}`));
  };
  store.onWriteHealth?.({
    writeFailed: (error) => {
      alarms.storeFailing(error);
      if (giveUp !== undefined) return;
      const ms = alarms.storeGiveUpMs;
      giveUp = setTimeout(() => die(`writes kept failing for ${ms / 1000} s: ${error}`), ms);
      giveUp.unref();
    },
    writeRecovered: () => {
      if (giveUp !== undefined) clearTimeout(giveUp);
      giveUp = undefined;
      if (!fatal) alarms.storeFailing(undefined);
    },
    writerDead: (error) => {
      alarms.storeFailing(error);
      die(error);
    },
  });
}

/** What a connection exposes to the alarms: its flow control (connection/flow.ts). */
export interface AlarmedConnection {
  readonly flow: { alarmsChanged(reason: string | undefined): void };
}

/**
 * The broker's alarms (their sampling starts with start(), once the broker is up): each change reaches every
 * connection (one accepted later takes `reason` itself), and the store's write failures raise the disk alarm.
 * RunningBroker.alarms (broker.ts) is this object.
 */
export function brokerAlarms(
  options: ResourceAlarmOptions & { readonly logger: Logger; readonly store: Store },
  connections: Iterable<AlarmedConnection>,
): ResourceAlarms {
  const alarms = new ResourceAlarms({ ...options, logger: options.logger.child({ component: 'alarms' }) });
  alarms.onChange(() => {
    const reason = alarms.reason;
    for (const connection of connections) connection.flow.alarmsChanged(reason);
  });
  watchStoreWrites(options.store, alarms, options.logger);
  return alarms;
}
