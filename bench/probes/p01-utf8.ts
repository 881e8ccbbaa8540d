/**
 * Probe 1: invalid UTF-8 in short strings (consumer tags, routing keys, exchange and queue names).
 *
 * Each case sends a name made of 0xFF bytes and reports what came back: the same bytes (as RabbitMQ, which keeps
 * short strings as bytes), other bytes (stored lossily), a refusal with its reply code, or the broker exiting. The
 * persistent case also counts how many later starts of the broker crash again once a consumer attaches.
 */
import { AmqpClient } from './client';
import { confirmClient, nextDelivery, publishConfirmed, seen, type Seen } from './common';
import type { Probe, ProbeContext, ProbeOutcome } from './types';
import { basicProps, publishFrames, type Method } from './wire';

const ff = (n: number): Buffer => Buffer.alloc(n, 0xff);

/** What a returned short string says about the one sent. */
function compare(sent: Buffer, got: unknown): string {
  if (!Buffer.isBuffer(got)) return 'no value';
  return got.equals(sent) ? `kept exactly (${sent.length} bytes)` : `LOSSY (${sent.length} bytes sent, ${got.length} came back)`;
}

function text<T>(s: Seen<T>, ok: (v: T) => string): string {
  return s.ok ? ok(s.value) : s.what;
}

/** A connection with a channel and a queue holding one message (so a consumer gets a delivery at once). */
async function setup(ctx: ProbeContext, queue: string): Promise<{ c: AmqpClient; ch: number }> {
  await ctx.recover();
  const { c, ch } = await confirmClient(ctx);
  await c.queueDeclare(ch, queue, { autoDelete: false });
  const p = await publishConfirmed(ctx, c, ch, '', queue, Buffer.from('x'));
  if (!p.ok) throw new Error(`setup publish: ${p.what}`);
  return { c, ch };
}

async function consumerTagCases(ctx: ProbeContext, out: Record<string, string>): Promise<void> {
  // a. 90 x 0xFF, no-wait: the first thing the broker writes with the tag is the delivery.
  {
    const q = ctx.name('p1-tag-nowait');
    const { c, ch } = await setup(ctx, q);
    const tag = ff(90);
    const deliver = nextDelivery(c, ch);
    c.consume(ch, q, tag, { noAck: true, noWait: true });
    out.consumerTag90NoWait = text(await seen(ctx, deliver), (m: Method) => `delivered; tag ${compare(tag, m.f.consumerTag)}`);
    c.destroy();
    await cleanup(ctx, [q]);
  }
  // b, c. With consume-ok: 86 bytes (3 x 86 > 255 once each byte becomes U+FFFD) and 10 bytes.
  for (const n of [86, 10]) {
    const q = ctx.name(`p1-tag-${n}`);
    const { c, ch } = await setup(ctx, q);
    const tag = ff(n);
    const ok = await seen(ctx, c.consume(ch, q, tag, { noAck: true }) as Promise<Method>);
    let r = text(ok, (m) => `consume-ok tag ${compare(tag, m.f.consumerTag)}`);
    if (ok.ok) r += `; delivery ${text(await seen(ctx, nextDelivery(c, ch)), (m) => `tag ${compare(tag, m.f.consumerTag)}`)}`;
    out[`consumerTag${n}`] = r;
    c.destroy();
    await cleanup(ctx, [q]);
  }
}

async function nameCases(ctx: ProbeContext, out: Record<string, string>): Promise<void> {
  // Routing key of 90 x 0xFF through a fanout exchange, then a consumer.
  {
    const q = ctx.name('p1-rk');
    const x = ctx.name('p1-rk-fanout');
    await ctx.recover();
    const { c, ch } = await confirmClient(ctx);
    await c.queueDeclare(ch, q);
    await c.exchangeDeclare(ch, x, 'fanout');
    await c.queueBind(ch, q, x, '');
    const key = ff(90);
    const pub = await publishConfirmed(ctx, c, ch, x, key, Buffer.from('x'));
    if (!pub.ok) out.routingKey90 = `publish: ${pub.what}`;
    else {
      const deliver = nextDelivery(c, ch);
      c.consume(ch, q, 'k', { noAck: true, noWait: true });
      out.routingKey90 = text(await seen(ctx, deliver), (m) => `delivered; routing key ${compare(key, m.f.routingKey)}`);
    }
    c.destroy();
    await cleanup(ctx, [q], [x]);
  }
  // Exchange names: 90 and 10 x 0xFF, declared, bound, published through, consumed.
  for (const n of [90, 10]) {
    const q = ctx.name(`p1-x${n}`);
    const x = ff(n);
    await ctx.recover();
    const { c, ch } = await confirmClient(ctx);
    await c.queueDeclare(ch, q);
    const steps = await seen(
      ctx,
      (async () => {
        await c.exchangeDeclare(ch, x, 'fanout');
        await c.queueBind(ch, q, x, '');
        const deliver = nextDelivery(c, ch);
        c.write(publishFrames(ch, x, 'k', Buffer.from('x')));
        c.consume(ch, q, 'k', { noAck: true, noWait: true });
        return deliver;
      })(),
    );
    out[`exchangeName${n}`] = text(steps, (m) => `declared, delivered; exchange ${compare(x, m.f.exchange)}`);
    c.destroy();
    await cleanup(ctx, [q], [x]);
  }
  // Queue name of 10 x 0xFF: what declare-ok names.
  {
    await ctx.recover();
    const c = await ctx.connect();
    const ch = await c.openChannel();
    const q = ff(10);
    out.queueName10 = text(await seen(ctx, c.queueDeclare(ch, q)), (m) => `declare-ok; queue ${compare(q, m.f.queue)}`);
    c.destroy();
    await cleanup(ctx, [q]);
  }
}

/** A persistent message with a 90 x 0xFF routing key in a durable queue: crash on attach, and after restarts? */
async function persistentCase(ctx: ProbeContext, out: Record<string, unknown>): Promise<void> {
  const q = ctx.name('p1-durable');
  const x = ctx.name('p1-durable-fanout');
  await ctx.recover();
  const { c, ch } = await confirmClient(ctx);
  await c.queueDeclare(ch, q, { durable: true });
  await c.exchangeDeclare(ch, x, 'fanout', { durable: true });
  await c.queueBind(ch, q, x, '');
  const key = ff(90);
  const p = basicProps({ deliveryMode: 2 });
  const pub = await publishConfirmed(ctx, c, ch, x, key, Buffer.from('x'), { flags: p.flags, props: p.bytes });
  c.destroy();
  if (!pub.ok) {
    out.persistent = `publish: ${pub.what}`;
    return;
  }
  const attempts: string[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) {
      // Start again (after a crash) or restart (after surviving) on the same data dir.
      if (ctx.target.alive()) await ctx.target.restart();
      else await ctx.recover();
    }
    const c2 = await ctx.connect();
    const ch2 = await c2.openChannel();
    const deliver = nextDelivery(c2, ch2);
    c2.consume(ch2, q, 'k', { noAck: false, noWait: true });
    attempts.push(text(await seen(ctx, deliver), (m) => `delivered (key ${compare(key, m.f.routingKey)})`));
    c2.destroy();
    if (ctx.target.alive()) break;
  }
  const crashes = attempts.filter((a) => a.startsWith('CRASHED')).length;
  const last = attempts[attempts.length - 1] ?? '?';
  out.persistent =
    crashes === attempts.length
      ? `CRASHED at every consumer attach (${crashes} starts in a row)`
      : `${crashes} crash(es) in ${attempts.length} start(s), then ${last.startsWith('CRASHED') ? 'CRASHED' : last}`;
  out.persistentAttempts = attempts;
  await cleanup(ctx, [q], [x]);
}

/** Deletes what a case declared (on RabbitMQ above all); failures are ignored. */
async function cleanup(ctx: ProbeContext, queues: Array<string | Buffer>, exchanges: Array<string | Buffer> = []): Promise<void> {
  if (!ctx.target.alive()) return;
  try {
    const c = await ctx.connect();
    for (const q of queues) {
      const ch = await c.openChannel();
      await c.queueDelete(ch, q).catch(() => undefined);
    }
    for (const x of exchanges) {
      const ch = await c.openChannel();
      await c.exchangeDelete(ch, x).catch(() => undefined);
    }
    await c.close();
  } catch {
    // best effort
  }
}

export const utf8Probe: Probe = {
  id: 1,
  name: 'invalid UTF-8 in short strings',
  rabbitmq: true,
  budgetS: 60,
  async run(ctx): Promise<ProbeOutcome> {
    const out: Record<string, unknown> = {};
    const cases = out as Record<string, string>;
    await consumerTagCases(ctx, cases);
    await nameCases(ctx, cases);
    if (ctx.target.kind === 'leveret') await persistentCase(ctx, out);
    const crashes = Object.entries(out)
      .filter(([k, v]) => k !== 'persistentAttempts' && typeof v === 'string' && v.includes('CRASHED'))
      .map(([k]) => k);
    const lossy = Object.entries(out).filter(([, v]) => typeof v === 'string' && v.includes('LOSSY')).map(([k]) => k);
    const figure = `tag90/no-wait: ${short(cases.consumerTag90NoWait)}; tag86: ${short(cases.consumerTag86)}; rk90: ${short(cases.routingKey90)}; persistent: ${short(cases.persistent ?? 'n/a')}`;
    return {
      figure,
      verdict: crashes.length > 0 ? `crashed in ${crashes.length} case(s)${lossy.length ? `, ${lossy.length} lossy` : ''}` : lossy.length > 0 ? `survived, ${lossy.length} lossy` : 'survived',
      details: { ...out, crashedCases: crashes, lossyCases: lossy },
    };
  },
};

function short(s: string | undefined): string {
  if (s === undefined) return '?';
  return s.startsWith('CRASHED (') ? 'CRASHED' : s.slice(0, 60);
}
