import { describe, expect, test } from '@jest/globals';
import { decodeBytes } from '../../../protocol/utf8';
import type { Store } from '../../store';
import type { ContractContext } from './context';
import { bodiesOf, delayed, message, queue } from './fixtures';

/** The Store contract: persistent messages: enqueue, mark, remove, purge, paging, shared bodies. */
export function messagesContract(ctx: ContractContext): void {
  describe('messages', () => {
    test('loadEntries returns entries in seq order, paged by afterSeq and limit', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const other = ctx.store.putQueue(queue('/', 'other'));
      for (let seq = 1; seq <= 25; seq++) ctx.store.enqueue(q, seq, message(ctx.store, `m${seq}`));
      ctx.store.enqueue(other, 1, message(ctx.store, 'elsewhere'));
      // reads see writes that were not flushed yet
      expect(bodiesOf(ctx.store.loadEntries(q, 0, 3))).toEqual(['m1', 'm2', 'm3']);

      await ctx.beforeAndAfterRestart((s) => {
        const all: string[] = [];
        let after = 0;
        for (;;) {
          const page = s.loadEntries(q, after, 10);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(10);
          all.push(...bodiesOf(page));
          after = page[page.length - 1]!.seq;
        }
        expect(all).toEqual(Array.from({ length: 25 }, (_, i) => `m${i + 1}`));
        expect(s.loadEntries(q, 20, 100).map((e) => e.seq)).toEqual([21, 22, 23, 24, 25]);
        expect(s.loadEntries(q, 0, 0)).toEqual([]);
        const first = s.loadEntries(q, 0, 1)[0]!;
        expect(first.redelivered).toBe(false);
        expect(first.message.exchange).toBe('x');
        expect(first.message.routingKey).toBe('rk');
        expect(first.message.properties).toEqual(message(s, '').properties);
      });
    });

    test('an exchange and routing key of any bytes (escapes of non-UTF-8, protocol/utf8.ts) come back exactly', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const rk = decodeBytes(Buffer.from('71fffe80c3a9', 'hex'), 0, 6);
      const x = decodeBytes(Buffer.from('78ff', 'hex'), 0, 2);
      ctx.store.enqueue(q, 1, message(ctx.store, 'odd', x, rk));
      ctx.store.enqueue(q, 2, message(ctx.store, 'plain', 'x', 'k\u00e9'));
      const due = 1_700_000_000_000;
      ctx.store.putDelayed({ ...delayed(ctx.store, '/', 'dx', due), routingKey: rk });
      await ctx.beforeAndAfterRestart((s) => {
        const [odd, plain] = s.loadEntries(q, 0, 10);
        expect(odd?.message.routingKey).toBe(rk);
        expect(odd?.message.exchange).toBe(x);
        expect(plain?.message.routingKey).toBe('k\u00e9');
        expect(s.loadDue(due, 10)[0]?.routingKey).toBe(rk);
      });
    });

    test('entries enqueued out of seq order still load in seq order; gaps are fine', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      for (const seq of [10, 3, 7, 100]) ctx.store.enqueue(q, seq, message(ctx.store, `s${seq}`));
      ctx.store.remove(q, 7, 0);
      await ctx.restart();
      expect(ctx.store.loadEntries(q, 0, 10).map((e) => e.seq)).toEqual([3, 10, 100]);
      expect(ctx.store.loadEntries(q, 3, 10).map((e) => e.seq)).toEqual([10, 100]);
    });

    test('removed entries are gone, after a flush and after a restart', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const ids: number[] = [];
      for (let seq = 1; seq <= 5; seq++) {
        const m = message(ctx.store, `m${seq}`);
        ids.push(m.id);
        ctx.store.enqueue(q, seq, m);
      }
      await ctx.store.flush();
      ctx.store.remove(q, 1, ids[0]!);
      ctx.store.remove(q, 4, ids[3]!);
      expect(bodiesOf(ctx.store.loadEntries(q, 0, 10))).toEqual(['m2', 'm3', 'm5']);
      await ctx.restart();
      expect(bodiesOf(ctx.store.loadEntries(q, 0, 10))).toEqual(['m2', 'm3', 'm5']);
      if (ctx.fx.bodies) expect(ctx.fx.bodies()).toBe(3);
    });

    test('a body routed to several queues is stored once and freed after the last queue lets go', async () => {
      const q1 = ctx.store.putQueue(queue('/', 'q1'));
      const q2 = ctx.store.putQueue(queue('/', 'q2'));
      const q3 = ctx.store.putQueue(queue('/', 'q3'));
      const m = message(ctx.store, Buffer.alloc(1000, 7));
      ctx.store.enqueue(q1, 1, m);
      ctx.store.enqueue(q2, 1, m);
      await ctx.store.flush();
      ctx.store.enqueue(q3, 5, m); // a later batch adds a reference to a stored body
      await ctx.restart();
      if (ctx.fx.bodies) expect(ctx.fx.bodies()).toBe(1);
      for (const q of [q1, q2, q3]) expect(ctx.store.loadEntries(q, 0, 10).map((e) => e.message.id)).toEqual([m.id]);
      ctx.store.remove(q1, 1, m.id);
      ctx.store.remove(q3, 5, m.id);
      await ctx.restart();
      if (ctx.fx.bodies) expect(ctx.fx.bodies()).toBe(1);
      expect(ctx.store.loadEntries(q2, 0, 10)[0]!.message.body).toEqual(m.body);
      ctx.store.remove(q2, 1, m.id);
      await ctx.restart();
      if (ctx.fx.bodies) expect(ctx.fx.bodies()).toBe(0);
      for (const q of [q1, q2, q3]) expect(ctx.store.queueStats(q).messages).toBe(0);
    });

    test('an entry removed before its enqueue was flushed never reaches disk', async () => {
      const q1 = ctx.store.putQueue(queue('/', 'q1'));
      const q2 = ctx.store.putQueue(queue('/', 'q2'));
      const acked = message(ctx.store, 'acked at once');
      const fanned = message(ctx.store, 'fanned');
      ctx.store.enqueue(q1, 1, acked);
      ctx.store.enqueue(q1, 2, fanned);
      ctx.store.enqueue(q2, 1, fanned);
      ctx.store.markDelivered(q1, 1);
      ctx.store.remove(q1, 1, acked.id);
      ctx.store.remove(q1, 2, fanned.id);
      expect(ctx.store.loadEntries(q1, 0, 10)).toEqual([]);
      await ctx.restart();
      expect(ctx.store.loadEntries(q1, 0, 10)).toEqual([]);
      expect(ctx.store.queueStats(q1)).toEqual({ messages: 0, bytes: 0, lastSeq: 2 });
      expect(bodiesOf(ctx.store.loadEntries(q2, 0, 10))).toEqual(['fanned']);
      if (ctx.fx.bodies) expect(ctx.fx.bodies()).toBe(1);
    });

    test('markDelivered: the entry comes back redelivered after a restart', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      for (let seq = 1; seq <= 4; seq++) ctx.store.enqueue(q, seq, message(ctx.store, `m${seq}`));
      ctx.store.markDelivered(q, 1); // in the same batch as its enqueue
      await ctx.store.flush();
      ctx.store.markDelivered(q, 3); // after the enqueue was written
      ctx.store.markDelivered(q, 4);
      ctx.store.remove(q, 4, 0); // delivered and acked in one batch
      await ctx.restart();
      expect(ctx.store.loadEntries(q, 0, 10).map((e) => [e.seq, e.redelivered])).toEqual([
        [1, true],
        [2, false],
        [3, true],
      ]);
    });

    test('purge removes every entry of one queue, returns how many, keeps lastSeq and shared bodies', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      const other = ctx.store.putQueue(queue('/', 'other'));
      for (let seq = 1; seq <= 10; seq++) ctx.store.enqueue(q, seq, message(ctx.store, `m${seq}`));
      const shared = message(ctx.store, 'shared');
      ctx.store.enqueue(q, 11, shared);
      ctx.store.enqueue(other, 1, shared);
      ctx.store.remove(q, 10, 0);
      expect(ctx.store.purge(q)).toBe(10);
      expect(ctx.store.loadEntries(q, 0, 100)).toEqual([]);
      expect(ctx.store.queueStats(q)).toEqual({ messages: 0, bytes: 0, lastSeq: 11 });
      await ctx.restart();
      expect(ctx.store.loadEntries(q, 0, 100)).toEqual([]);
      expect(ctx.store.queueStats(q)).toEqual({ messages: 0, bytes: 0, lastSeq: 11 });
      expect(bodiesOf(ctx.store.loadEntries(other, 0, 10))).toEqual(['shared']);
      if (ctx.fx.bodies) expect(ctx.fx.bodies()).toBe(1);
      expect(ctx.store.purge(q)).toBe(0);
      ctx.store.enqueue(q, 12, message(ctx.store, 'after purge'));
      expect(bodiesOf(ctx.store.loadEntries(q, 0, 10))).toEqual(['after purge']);
    });

    test('queueStats counts entries and body bytes; lastSeq is the highest seq ever stored', async () => {
      const q = ctx.store.putQueue(queue('/', 'q'));
      expect(ctx.store.queueStats(q)).toEqual({ messages: 0, bytes: 0, lastSeq: 0 });
      ctx.store.enqueue(q, 1, message(ctx.store, 'abc'));
      ctx.store.enqueue(q, 2, message(ctx.store, Buffer.alloc(1024)));
      ctx.store.enqueue(q, 3, message(ctx.store, ''));
      expect(ctx.store.queueStats(q)).toEqual({ messages: 3, bytes: 1027, lastSeq: 3 });
      ctx.store.remove(q, 2, 0);
      await ctx.restart();
      expect(ctx.store.queueStats(q)).toEqual({ messages: 2, bytes: 3, lastSeq: 3 });
      ctx.store.remove(q, 1, 0);
      ctx.store.remove(q, 3, 0);
      await ctx.restart();
      expect(ctx.store.queueStats(q)).toEqual({ messages: 0, bytes: 0, lastSeq: 3 });
      expect(ctx.store.queueStats(999_999)).toEqual({ messages: 0, bytes: 0, lastSeq: 0 });
    });

    test('nextMessageId never repeats, across restarts, even when nothing is stored', async () => {
      const seen = new Set<number>();
      let last = 0;
      const take = (s: Store) => {
        const id = s.nextMessageId();
        expect(id).toBeGreaterThan(last);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        last = id;
        return id;
      };
      const q = ctx.store.putQueue(queue('/', 'q'));
      for (let i = 0; i < 5; i++) take(ctx.store);
      const id = take(ctx.store);
      ctx.store.enqueue(q, 1, { ...message(ctx.store, 'x'), id });
      ctx.store.remove(q, 1, id);
      await ctx.restart();
      for (let i = 0; i < 5; i++) take(ctx.store);
      await ctx.restart();
      take(ctx.store);
    });
  });
}
