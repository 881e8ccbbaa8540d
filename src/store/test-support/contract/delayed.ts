import { describe, expect, test } from '@jest/globals';
import type { Store } from '../../store';
import { eventually } from '../../../test-support/eventually';
import type { ContractContext } from './context';
import { delayed, Recorder } from './fixtures';

/** The Store contract: delayed messages (x-delayed-message). */
export function delayedContract(ctx: ContractContext): void {
  describe('delayed messages', () => {
    const T = 1_700_000_000_000;

    test('nextDelayedId never repeats, across restarts, even when nothing is stored', async () => {
      const seen = new Set<number>();
      let last = 0;
      const take = (s: Store) => {
        const id = s.nextDelayedId();
        expect(id).toBeGreaterThan(last);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        last = id;
      };
      for (let i = 0; i < 3; i++) take(ctx.store);
      const r = delayed(ctx.store, '/', 'dx', T);
      ctx.store.putDelayed(r);
      ctx.store.removeDelayed(r.id);
      await ctx.restart();
      take(ctx.store);
      await ctx.restart();
      take(ctx.store);
      ctx.store.putDelayed(delayed(ctx.store, '/', 'dx', T));
      await ctx.restart();
      take(ctx.store);
    });

    test('records round-trip; loadDue gives those due by dueAt then id, up to limit; nextDue is the earliest', async () => {
      expect(ctx.store.nextDue()).toBe(0);
      expect(ctx.store.loadDue(T, 10)).toEqual([]);
      const late = delayed(ctx.store, '/', 'dx', T + 300);
      const early = delayed(ctx.store, '/', 'dx', T + 100);
      const tieA = delayed(ctx.store, 'v2', 'other', T + 200);
      const tieB = delayed(ctx.store, '/', 'dx', T + 200);
      for (const r of [late, tieB, early, tieA]) ctx.store.putDelayed(r);
      // reads see writes that were not flushed yet
      expect(ctx.store.nextDue()).toBe(T + 100);
      expect(ctx.store.loadDue(T + 200, 10)).toEqual([early, tieA, tieB]);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.nextDue()).toBe(T + 100);
        expect(s.loadDue(T + 99, 10)).toEqual([]);
        expect(s.loadDue(T + 100, 10)).toEqual([early]);
        expect(s.loadDue(T + 200, 10)).toEqual([early, tieA, tieB]);
        expect(s.loadDue(T + 1000, 2)).toEqual([early, tieA]);
        expect(s.loadDue(T + 1000, 0)).toEqual([]);
        // loading removes nothing
        expect(s.loadDue(T + 1000, 10)).toEqual([early, tieA, tieB, late]);
        expect(s.delayedCount('/', 'dx')).toBe(3);
      });
      const loaded = ctx.store.loadDue(T + 1000, 10)[3]!;
      expect(Buffer.isBuffer(loaded.body)).toBe(true);
      expect(loaded.properties).toEqual(late.properties);
    });

    test('removeDelayed removes (before or after a flush); unknown ids are ignored; put+remove in a batch leaves nothing', async () => {
      const a = delayed(ctx.store, '/', 'dx', T + 1);
      const b = delayed(ctx.store, '/', 'dx', T + 2);
      const c = delayed(ctx.store, '/', 'dx', T + 3);
      ctx.store.putDelayed(a);
      ctx.store.putDelayed(b);
      await ctx.store.flush();
      ctx.store.putDelayed(c);
      ctx.store.removeDelayed(a.id); // on disk
      ctx.store.removeDelayed(c.id); // in the same batch as its put
      ctx.store.removeDelayed(999_999);
      expect(ctx.store.nextDue()).toBe(T + 2);
      expect(ctx.store.loadDue(T + 10, 10)).toEqual([b]);
      expect(ctx.store.delayedCount('/', 'dx')).toBe(1);
      await ctx.restart();
      expect(ctx.store.loadDue(T + 10, 10)).toEqual([b]);
      ctx.store.removeDelayed(b.id);
      expect(ctx.store.nextDue()).toBe(0);
      await ctx.restart();
      expect(ctx.store.nextDue()).toBe(0);
      expect(ctx.store.loadDue(T + 10, 10)).toEqual([]);
      expect(ctx.store.delayedCount('/', 'dx')).toBe(0);
    });

    test('a scheduler-like loop drains everything due, in order, with reads between removals', async () => {
      const expected: number[] = [];
      for (let i = 0; i < 250; i++) {
        const r = delayed(ctx.store, '/', 'dx', T + ((i * 37) % 100));
        ctx.store.putDelayed(r);
        expected.push(r.id);
        if (i === 100) await ctx.store.flush();
      }
      const order = (id: number) => T + (((id - expected[0]!) * 37) % 100);
      expected.sort((x, y) => order(x) - order(y) || x - y);
      const seen: number[] = [];
      for (let round = 0; round < 100 && ctx.store.nextDue() !== 0; round++) {
        for (const r of ctx.store.loadDue(ctx.store.nextDue() + 10, 7)) {
          seen.push(r.id);
          ctx.store.removeDelayed(r.id);
        }
        if (round % 5 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      expect(seen).toEqual(expected);
      await ctx.restart();
      expect(ctx.store.nextDue()).toBe(0);
    });

    test('deleteDelayed drops one exchange’s records only; delayedCount counts per exchange', async () => {
      ctx.store.putDelayed(delayed(ctx.store, '/', 'dx', T + 1));
      ctx.store.putDelayed(delayed(ctx.store, '/', 'dx', T + 2));
      const keptOtherName = delayed(ctx.store, '/', 'dy', T + 3);
      const keptOtherVhost = delayed(ctx.store, 'v2', 'dx', T + 4);
      ctx.store.putDelayed(keptOtherName);
      ctx.store.putDelayed(keptOtherVhost);
      await ctx.store.flush();
      const buffered = delayed(ctx.store, '/', 'dx', T + 0.5);
      ctx.store.putDelayed(buffered);
      expect(ctx.store.delayedCount('/', 'dx')).toBe(3);
      ctx.store.deleteDelayed('/', 'dx');
      expect(ctx.store.delayedCount('/', 'dx')).toBe(0);
      expect(ctx.store.nextDue()).toBe(T + 3);
      expect(ctx.store.loadDue(T + 10, 10)).toEqual([keptOtherName, keptOtherVhost]);
      // the exchange is declared again and takes new records
      const fresh = delayed(ctx.store, '/', 'dx', T + 5);
      ctx.store.putDelayed(fresh);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadDue(T + 10, 10)).toEqual([keptOtherName, keptOtherVhost, fresh]);
        expect(s.delayedCount('/', 'dx')).toBe(1);
        expect(s.delayedCount('/', 'dy')).toBe(1);
        expect(s.delayedCount('v2', 'dx')).toBe(1);
        expect(s.delayedCount('v2', 'none')).toBe(0);
      });
    });

    test('deleteVhost drops that vhost’s delayed records, buffered or not', async () => {
      ctx.store.putVhost({ name: 'a', description: '', tags: [] });
      ctx.store.putVhost({ name: 'b', description: '', tags: [] });
      ctx.store.putDelayed(delayed(ctx.store, 'a', 'dx', T + 1));
      await ctx.store.flush();
      ctx.store.putDelayed(delayed(ctx.store, 'a', 'dx', T + 2));
      const kept = delayed(ctx.store, 'b', 'dx', T + 3);
      ctx.store.putDelayed(kept);
      ctx.store.deleteVhost('a');
      expect(ctx.store.loadDue(T + 10, 10)).toEqual([kept]);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadDue(T + 10, 10)).toEqual([kept]);
        expect(s.nextDue()).toBe(T + 3);
        expect(s.delayedCount('a', 'dx')).toBe(0);
      });
    });

    test('delayed writes share the batch: afterCommit covers them', async () => {
      const r = new Recorder();
      const record = delayed(ctx.store, '/', 'dx', T);
      ctx.store.putDelayed(record);
      ctx.store.afterCommit(r, 1);
      expect(r.seen).toEqual([]);
      await ctx.store.flush();
      expect(r.seen).toEqual([1]);
      ctx.store.removeDelayed(record.id);
      ctx.store.afterCommit(r, 2);
      await eventually(() => r.seen.length >= 2, 5000, 'the listener');
      expect(r.seen).toEqual([1, 2]);
      await ctx.restart();
      expect(ctx.store.nextDue()).toBe(0);
    });
  });
}
