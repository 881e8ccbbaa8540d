/** Steps several probes share: telling a crash from a refusal, publishing with a confirm, counting messages. */
import { AmqpClient, ServerClosed } from './client';
import { procStatus, sleep } from './http';
import type { ProbeContext } from './types';
import { Args, M, publishFrames, type Method, type TableValue } from './wire';

export type Seen<T> =
  | { ok: true; value: T; ms: number }
  | { ok: false; crashed: boolean; what: string; code?: number; ms: number };

/**
 * Waits for `p` at most `timeoutMs` and says what happened: its value, a close by the server (with reply code),
 * or the broker process exiting (a socket that closes is checked against the process for half a second).
 */
export async function seen<T>(ctx: ProbeContext, p: Promise<T>, timeoutMs = 3000): Promise<Seen<T>> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), timeoutMs);
  });
  try {
    const v = await Promise.race([p, timeout]);
    if (v !== 'timeout') return { ok: true, value: v as T, ms: performance.now() - t0 };
  } catch (e) {
    const exit = await ctx.target.waitExit(e instanceof ServerClosed && e.scope !== 'socket' ? 0 : 500);
    const ms = performance.now() - t0;
    if (exit !== undefined && !ctx.target.alive()) return { ok: false, crashed: true, what: crashText(exit), ms };
    if (e instanceof ServerClosed) {
      return e.code === 0 ? { ok: false, crashed: false, what: 'socket closed', ms } : { ok: false, crashed: false, what: `${e.scope} closed ${e.code} ${e.text}`.slice(0, 160), code: e.code, ms };
    }
    return { ok: false, crashed: false, what: (e as Error).message, ms };
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  if (!ctx.target.alive()) {
    const exit = ctx.target.exits[ctx.target.exits.length - 1];
    return { ok: false, crashed: true, what: exit ? crashText(exit) : 'crashed', ms };
  }
  return { ok: false, crashed: false, what: `no answer in ${timeoutMs} ms`, ms };
}

export function crashText(e: { code: number | null; signal: string | null; reason: string }): string {
  const reason = e.reason.replace(/[^\x20-\x7e]+/g, (m) => `<${m.length} non-ASCII>`).slice(0, 120);
  return `CRASHED (exit ${e.code ?? e.signal}${reason ? `: ${reason}` : ''})`;
}

/** A Seen as a short text: the value's description when ok, else what happened. */
export function seenText<T>(s: Seen<T>, ok: (v: T) => string): string {
  return s.ok ? ok(s.value) : s.what;
}

/** Publishes one message on a confirm channel and waits for its ack or nack. */
export async function publishConfirmed(
  ctx: ProbeContext,
  c: AmqpClient,
  ch: number,
  exchange: string | Buffer,
  routingKey: string | Buffer,
  body: Buffer,
  o: { flags?: number; props?: Buffer; timeoutMs?: number } = {},
): Promise<Seen<'acked' | 'nacked'>> {
  const answer = c
    .waitFrame((f) => f.type === 1 && f.channel === ch && [M.BasicAck, M.BasicNack].includes(f.payload.readUInt32BE(0)), o.timeoutMs ?? 5000, ch)
    .then((f) => (f.payload.readUInt32BE(0) === M.BasicAck ? ('acked' as const) : ('nacked' as const)));
  c.write(publishFrames(ch, exchange, routingKey, body, { flags: o.flags ?? 0, props: o.props ?? Buffer.alloc(0), frameMax: c.frameMax }));
  return seen(ctx, answer, o.timeoutMs ?? 5000);
}

/** A connection with one confirm channel. */
export async function confirmClient(ctx: ProbeContext): Promise<{ c: AmqpClient; ch: number }> {
  const c = await ctx.connect();
  const ch = await c.openChannel();
  await c.confirmSelect(ch);
  return { c, ch };
}

/** Messages ready in a queue (passive declare), or undefined when that fails. */
export async function readyCount(c: AmqpClient, ch: number, queue: string | Buffer): Promise<number | undefined> {
  try {
    const m = await c.queueDeclare(ch, queue, { passive: true });
    return Number(m.f.messageCount);
  } catch {
    return undefined;
  }
}

/**
 * Adds `n` consumers on one channel with no-wait (tags c0, c1, ...), in slices that respect the socket's
 * back-pressure, then one round trip so all of them are in place. Resolves with ms, or throws on a close.
 */
export async function addConsumers(c: AmqpClient, ch: number, queue: string, n: number, args?: (i: number) => Record<string, TableValue>, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const a = new Args().short(0).shortstr(queue).shortstr(`c${i}`).bit(false).bit(true).bit(false).bit(true).table(args ? args(i) : {});
    if (!c.send(ch, M.BasicConsume, a)) await new Promise<void>((r) => c.socket.once('drain', () => r()));
    if (c.isClosed) throw c.closed ?? new Error('closed');
  }
  await c.ping(ch, timeoutMs);
  return performance.now() - t0;
}

/** Samples the target's RSS/VmSize growth over a baseline. */
export class MemWatch {
  readonly rss0: number;
  readonly vm0: number;
  peakRss = 0;
  peakVm = 0;
  constructor(private readonly pid: number | undefined) {
    const s = pid === undefined ? undefined : procStatus(pid);
    this.rss0 = s?.rssMiB ?? 0;
    this.vm0 = s?.vmMiB ?? 0;
    this.peakRss = this.rss0;
    this.peakVm = this.vm0;
  }
  /** Current growth in MiB {rss, vm}; updates the peaks. */
  sample(): { rss: number; vm: number } {
    const s = this.pid === undefined ? undefined : procStatus(this.pid);
    if (s === undefined) return { rss: this.peakRss - this.rss0, vm: this.peakVm - this.vm0 };
    this.peakRss = Math.max(this.peakRss, s.rssMiB);
    this.peakVm = Math.max(this.peakVm, s.vmMiB);
    return { rss: s.rssMiB - this.rss0, vm: s.vmMiB - this.vm0 };
  }
}

/** Waits for the next delivery or get-ok on a channel. */
export function nextDelivery(c: AmqpClient, ch: number, timeoutMs = 3000): Promise<Method> {
  return c.waitMethod(ch, M.BasicDeliver, timeoutMs);
}

export { sleep };
