/**
 * Probe 2: content-header properties that are malformed (a flag set with its value missing, headers nested past
 * 64 tables) or valid but beyond what JS represents (a timestamp header of 0x00ffffffffffffff seconds).
 *
 * For each kind: is the publish confirmed, and what happens at the moments the broker reads the properties later:
 * expiry with dead-lettering, requeue on an x-delivery-limit queue and on a quorum queue when a consumer
 * disconnects, HTTP get with requeue, and a persistent message in a durable queue across restarts.
 */
import { confirmClient, crashText, publishConfirmed, readyCount, seen, sleep, type Seen } from './common';
import { vh } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';
import { encodeTable, M, nestedTable, PROP, type TableValue } from './wire';

interface Kind {
  name: string;
  /** Property flags and bytes; `persistent` adds delivery-mode 2 in its place (after headers, before message-id). */
  props(persistent: boolean): { flags: number; bytes: Buffer };
}

function kinds(): Kind[] {
  const ts = Buffer.from([0x54, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const deep = Buffer.concat([Buffer.from([0x46]), nestedTable(100)]);
  const withHeaders = (headers: Buffer) => (persistent: boolean) => ({
    flags: PROP.headers | (persistent ? PROP.deliveryMode : 0),
    bytes: persistent ? Buffer.concat([headers, Buffer.from([2])]) : headers,
  });
  return [
    // message-id flagged, no value: nothing reads message-id at publish.
    {
      name: 'flagNoValue',
      props: (persistent) => ({ flags: PROP.messageId | (persistent ? PROP.deliveryMode : 0), bytes: Buffer.from(persistent ? [2] : []) }),
    },
    { name: 'headersNested100', props: withHeaders(encodeTable({ deep: { raw: deep } })) },
    { name: 'timestamp00ff', props: withHeaders(encodeTable({ ts: { raw: ts } })) },
  ];
}

const body = Buffer.from('probe 2');

function text<T>(s: Seen<T>, ok: (v: T) => string): string {
  return s.ok ? ok(s.value) : s.what;
}

/** Publishes `k` to `queue` on a fresh confirm channel; undefined if confirmed, else what happened. */
async function publish(ctx: ProbeContext, k: Kind, queue: string, persistent = false): Promise<string | undefined> {
  const { c, ch } = await confirmClient(ctx);
  const p = k.props(persistent);
  const r = await publishConfirmed(ctx, c, ch, '', queue, body, { flags: p.flags, props: p.bytes });
  c.destroy();
  return r.ok ? (r.value === 'acked' ? undefined : 'nacked') : r.what;
}

async function declare(ctx: ProbeContext, queue: string, args: Record<string, TableValue> = {}, durable = false): Promise<void> {
  const c = await ctx.connect();
  const ch = await c.openChannel();
  await c.queueDeclare(ch, queue, { durable, args });
  await c.close();
}

/** Waits `ms` for the broker to exit; the crash text, or undefined if it stayed up. */
async function crashWithin(ctx: ProbeContext, ms: number): Promise<string | undefined> {
  const e = await ctx.target.waitExit(ms);
  return e !== undefined && !ctx.target.alive() ? crashText(e) : undefined;
}

/** Consumes the message with a manual-ack consumer, then drops the connection: the broker requeues it. */
async function requeueByDisconnect(ctx: ProbeContext, queue: string): Promise<string> {
  const c = await ctx.connect();
  const ch = await c.openChannel();
  const got = seen(ctx, c.waitMethod(ch, M.BasicDeliver, 3000));
  c.consume(ch, queue, 'k', { noWait: true });
  const delivered = await got;
  if (!delivered.ok) return `consume: ${delivered.what}`;
  c.destroy();
  const crash = await crashWithin(ctx, 1500);
  if (crash) return `requeue: ${crash}`;
  const c2 = await ctx.connect();
  const ch2 = await c2.openChannel();
  const n = await readyCount(c2, ch2, queue);
  await c2.close();
  return `survived requeue (${n ?? '?'} ready)`;
}

async function runKind(ctx: ProbeContext, k: Kind): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const q = (s: string): string => ctx.name(`p2-${k.name}-${s}`);
  // Publish alone.
  await ctx.recover();
  await declare(ctx, q('plain'));
  const pub = await publish(ctx, k, q('plain'));
  out.publish = pub ?? 'confirmed';
  if (pub !== undefined && !pub.startsWith('CRASHED')) return out; // refused at the door: nothing further to try
  // Expiry with dead-lettering (a timer reads the properties to add x-death).
  await ctx.recover();
  await declare(ctx, q('dead'));
  await declare(ctx, q('ttl'), { 'x-message-ttl': 50, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q('dead') });
  const p1 = await publish(ctx, k, q('ttl'));
  out.expiryDeadLetter = p1 ?? (await crashWithin(ctx, 1500)) ?? 'survived expiry';
  // Requeue on x-delivery-limit and quorum queues when a consumer disconnects.
  for (const [key, args, durable] of [
    ['requeueDeliveryLimit', { 'x-delivery-limit': 5 }, false],
    ['requeueQuorum', { 'x-queue-type': 'quorum' }, true],
  ] as const) {
    await ctx.recover();
    await declare(ctx, q(key), args, durable);
    const p = await publish(ctx, k, q(key));
    out[key] = p ?? (await requeueByDisconnect(ctx, q(key)));
  }
  // HTTP get with requeue.
  await ctx.recover();
  await declare(ctx, q('http'));
  const p2 = await publish(ctx, k, q('http'));
  if (p2 !== undefined) out.httpGet = p2;
  else {
    const api = ctx.api();
    const r = await api.post(`/api/queues/${vh}/${encodeURIComponent(q('http'))}/get`, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' });
    const crash = await crashWithin(ctx, 300);
    if (crash) out.httpGet = `HTTP ${r.status}; ${crash}`;
    else {
      await sleep(200);
      const info = (await api.json(`/api/queues/${vh}/${encodeURIComponent(q('http'))}`)) as { messages_ready?: number; messages_unacknowledged?: number } | undefined;
      out.httpGet = `HTTP ${r.status}; then ${info?.messages_ready ?? '?'} ready, ${info?.messages_unacknowledged ?? '?'} unacked`;
    }
  }
  return out;
}

/** Persistent message, durable TTL+DLX queue: crash at expiry, then again after each start? */
async function persistentRestarts(ctx: ProbeContext, k: Kind): Promise<string> {
  await ctx.recover();
  const q = ctx.name(`p2-${k.name}-durable`);
  await declare(ctx, `${q}-dead`, {}, true);
  await declare(ctx, q, { 'x-message-ttl': 300, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${q}-dead` }, true);
  const p = await publish(ctx, k, q, true);
  if (p !== undefined && !p.startsWith('CRASHED')) return `publish: ${p}`;
  const first = await crashWithin(ctx, 2000);
  const exitsAfterStart: number[] = [];
  for (let i = 0; i < 2; i++) {
    if (ctx.target.alive()) await ctx.target.restart();
    else await ctx.target.ensure();
    const e = await ctx.target.waitExit(3000);
    if (e === undefined || ctx.target.alive()) break;
    exitsAfterStart.push(e.afterMs);
  }
  const head = first ? 'crashed at expiry' : 'survived expiry';
  return exitsAfterStart.length === 0
    ? `${head}; restarted: stays up`
    : `${head}; restarted ${exitsAfterStart.length}x: exited each time, ${exitsAfterStart.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')} after start`;
}


export const propertiesProbe: Probe = {
  id: 2,
  name: 'unvalidated content-header properties',
  rabbitmq: false,
  budgetS: 150,
  async run(ctx): Promise<ProbeOutcome> {
    const details: Record<string, Record<string, string>> = {};
    for (const k of kinds()) {
      ctx.log(k.name);
      details[k.name] = await runKind(ctx, k);
      details[k.name]!.persistentRestarts = await persistentRestarts(ctx, k);
      await ctx.target.fresh();
    }
    const cells = Object.values(details).flatMap((d) => Object.values(d));
    const crashes = cells.filter((s) => s.includes('CRASHED') || s.includes('crashed') || s.includes('exited')).length;
    const confirmed = Object.values(details).filter((d) => d.publish === 'confirmed').length;
    const stuck = Object.values(details).filter((d) => /HTTP 500/.test(d.httpGet ?? '')).length;
    const per = Object.entries(details).map(([name, d]) => `${name}: ${d.publish === 'confirmed' ? 'confirmed' : (d.publish ?? '?').slice(0, 40)}`);
    return {
      figure: `${confirmed}/3 kinds confirmed at publish; ${crashes} crash(es) later; HTTP get 500 for ${stuck}/3 (${per.join(', ')})`,
      verdict: crashes > 0 ? `CRASHED in ${crashes} case(s)` : 'survived',
      details,
    };
  },
};
