/**
 * Probe 5: permission gaps. A user allowed to configure and write only `p5-mine*` (and the default exchange) tries
 * to get messages into `p5-victim`, bound to `p5-protected`, on which it has no write permission:
 *   a. through x-dead-letter-exchange at queue.declare (messages expire into it);
 *   b. through alternate-exchange at exchange.declare (unroutable publishes fall through to it).
 * Then open connections after an administrator acts:
 *   c. the user is deleted: does its open connection still declare queues?
 *   d. its permissions are narrowed to nothing: does its open connection still declare queues?
 * Figures: what each attempt got, and how many messages reached the victim queue.
 */
import { AmqpClient } from './client';
import { readyCount, sleep } from './common';
import { vh } from './http';
import type { Probe, ProbeContext, ProbeOutcome } from './types';
import { publishFrames } from './wire';

const MINE = { configure: '^p5-mine.*', write: '^(p5-mine.*|amq\\.default|)$', read: '.*' };

async function attempt(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
    return 'accepted';
  } catch (e) {
    return `refused: ${(e as Error).message.replace(/^(connection|channel) closed by the server: /, '')}`.slice(0, 120);
  }
}

async function victimCount(ctx: ProbeContext): Promise<number | undefined> {
  const c = await ctx.connect();
  const ch = await c.openChannel();
  const n = await readyCount(c, ch, 'p5-victim');
  await c.close();
  return n;
}

async function bypasses(ctx: ProbeContext): Promise<Record<string, unknown>> {
  const admin = await ctx.connect();
  const ach = await admin.openChannel();
  await admin.exchangeDeclare(ach, 'p5-protected', 'fanout');
  await admin.queueDeclare(ach, 'p5-victim');
  await admin.queueBind(ach, 'p5-victim', 'p5-protected', '');
  await admin.close();
  await ctx.api().createUser('p5-user', 'pw', '', MINE);
  const out: Record<string, unknown> = {};

  // a. Dead-letter exchange.
  let c = await ctx.connect({ user: 'p5-user', password: 'pw' });
  let ch = await c.openChannel();
  out.deadLetterDeclare = await attempt(() => c.queueDeclare(ch, 'p5-mine-dlx', { args: { 'x-dead-letter-exchange': 'p5-protected', 'x-message-ttl': 10 } }));
  if (out.deadLetterDeclare === 'accepted') {
    c.write(publishFrames(ch, '', 'p5-mine-dlx', Buffer.from('via dlx')));
    await c.ping(ch).catch(() => undefined);
    await sleep(300);
  }
  c.destroy();
  const afterDlx = (await victimCount(ctx)) ?? 0;
  out.victimAfterDeadLetter = afterDlx;

  // b. Alternate exchange.
  c = await ctx.connect({ user: 'p5-user', password: 'pw' });
  ch = await c.openChannel();
  out.alternateDeclare = await attempt(() => c.exchangeDeclare(ch, 'p5-mine-ae', 'direct', { args: { 'alternate-exchange': 'p5-protected' } }));
  if (out.alternateDeclare === 'accepted') {
    c.write(publishFrames(ch, 'p5-mine-ae', 'nowhere', Buffer.from('via ae')));
    await c.ping(ch).catch(() => undefined);
    await sleep(100);
  }
  c.destroy();
  out.victimAfterAlternate = ((await victimCount(ctx)) ?? 0) - afterDlx;
  return out;
}

/**
 * Opens a connection as `user` that declares a queue and publishes to it, lets `act` change the user through the
 * API, then tries again on the same channel: a publish to that queue (does the message arrive?) and a new declare.
 */
async function afterAdminChange(ctx: ProbeContext, user: string, act: () => Promise<number>): Promise<Record<string, unknown>> {
  await ctx.api().createUser(user, 'pw');
  const q = `${user}-q`;
  const c: AmqpClient = await ctx.connect({ user, password: 'pw' });
  const ch = await c.openChannel();
  await c.queueDeclare(ch, q);
  c.write(publishFrames(ch, '', q, Buffer.from('before')));
  await c.ping(ch);
  const status = await act();
  await sleep(500);
  const closedByBroker = c.isClosed ? (c.closed?.message ?? 'closed') : undefined;
  let publish = 'connection already closed';
  let declare = 'connection already closed';
  if (!closedByBroker) {
    c.write(publishFrames(ch, '', q, Buffer.from('after')));
    publish = await attempt(() => c.ping(ch));
    declare = await attempt(() => c.queueDeclare(ch, `${user}-q2`));
  }
  c.destroy();
  const guest = await ctx.connect();
  const gch = await guest.openChannel();
  const inQueue = await readyCount(guest, gch, q);
  await guest.close();
  const published = inQueue === 2;
  return {
    apiStatus: status,
    closedByBroker: closedByBroker ?? 'no',
    publishAfter: publish === 'accepted' ? (published ? 'delivered to the queue' : 'accepted, not in the queue') : publish,
    declareAfter: declare,
    stillWorks: !closedByBroker && (published || declare === 'accepted'),
  };
}

function describe(r: Record<string, unknown>): string {
  if (r.closedByBroker !== 'no') return `closed by the broker (${String(r.closedByBroker).slice(0, 50)})`;
  return `stays open; publish ${String(r.publishAfter).slice(0, 40)}, declare ${String(r.declareAfter).slice(0, 40)}`;
}

export const permissionsProbe: Probe = {
  id: 5,
  name: 'permission gaps',
  rabbitmq: false,
  budgetS: 40,
  async run(ctx): Promise<ProbeOutcome> {
    const a = await bypasses(ctx);
    const api = ctx.api();
    const deleted = await afterAdminChange(ctx, 'p5-deleted', async () => (await api.del('/api/users/p5-deleted')).status);
    const narrowed = await afterAdminChange(
      ctx,
      'p5-narrowed',
      async () => (await api.put(`/api/permissions/${vh}/p5-narrowed`, { configure: '^$', write: '^$', read: '^$' })).status,
    );
    const gaps = [
      Number(a.victimAfterDeadLetter) > 0,
      Number(a.victimAfterAlternate) > 0,
      deleted.stillWorks === true,
      narrowed.stillWorks === true,
    ].filter(Boolean).length;
    const figure =
      `dlx declare ${String(a.deadLetterDeclare).slice(0, 40)} -> ${String(a.victimAfterDeadLetter)} msg in victim; ` +
      `ae declare ${String(a.alternateDeclare).slice(0, 40)} -> ${String(a.victimAfterAlternate)} msg; ` +
      `deleted user's open connection: ${describe(deleted)}; narrowed permissions: ${describe(narrowed)}`;
    return { figure, verdict: `${gaps}/4 gaps open`, details: { ...a, deletedUser: deleted, narrowedPermissions: narrowed } };
  },
};
