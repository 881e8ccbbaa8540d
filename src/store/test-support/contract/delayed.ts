import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Store } from '../../store';
import { eventually } from '../../../test-support/eventually';
import type { ContractContext } from './context';
import { exchange, delayed, Recorder } from './fixtures';

/** The Store contract: delayed messages (x-delayed-message). */
export function delayedContract(ctx: ContractContext): void {
  let store: Store;
  beforeEach(() => {
    store = ctx.store;
  });

  /** Flush, then restart on the same state. */
  async function restart(): Promise<Store> {
    store = await ctx.restart();
    return store;
  }

  /** Runs the same checks on the store as it is and again after a restart. */
  async function beforeAndAfterRestart(check: (s: Store) => void): Promise<void> {
    check(store);
    check(await restart());
  }

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
      for (let i = 0; i < 3; i++) take(store);
      const r = delayed(store, '/', 'dx', T);
      store.putDelayed(r);
      store.removeDelayed(r.id);
      await restart();
      take(store);
      await restart();
      take(store);
      store.putDelayed(delayed(store, '/', 'dx', T));
      await restart();
      take(store);
    });

    test('records round-trip; loadDue gives those due by dueAt then id, up to limit; nextDue is the earliest', async () => {
      expect(store.nextDue()).toBe(0);
      expect(store.loadDue(T, 10)).toEqual([]);
      const late = delayed(store, '/', 'dx', T + 300);
      const early = delayed(store, '/', 'dx', T + 100);
      const tieA = delayed(store, 'v2', 'other', T + 200);
      const tieB = delayed(store, '/', 'dx', T + 200);
      for (const r of [late, tieB, early, tieA]) store.putDelayed(r);
      // reads see writes that were not flushed yet
      expect(store.nextDue()).toBe(T + 100);
      expect(store.loadDue(T + 200, 10)).toEqual([early, tieA, tieB]);
      await beforeAndAfterRestart((s) => {
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
      const loaded = store.loadDue(T + 1000, 10)[3]!;
      expect(Buffer.isBuffer(loaded.body)).toBe(true);
      expect(loaded.properties).toEqual(late.properties);
    });

    test('removeDelayed removes (before or after a flush); unknown ids are ignored; put+remove in a batch leaves nothing', async () => {
      const a = delayed(store, '/', 'dx', T + 1);
      const b = delayed(store, '/', 'dx', T + 2);
      const c = delayed(store, '/', 'dx', T + 3);
      store.putDelayed(a);
      store.putDelayed(b);
      await store.flush();
      store.putDelayed(c);
      store.removeDelayed(a.id); // on disk
      store.removeDelayed(c.id); // in the same batch as its put
      store.removeDelayed(999_999);
      expect(store.nextDue()).toBe(T + 2);
      expect(store.loadDue(T + 10, 10)).toEqual([b]);
      expect(store.delayedCount('/', 'dx')).toBe(1);
      await restart();
      expect(store.loadDue(T + 10, 10)).toEqual([b]);
      store.removeDelayed(b.id);
      expect(store.nextDue()).toBe(0);
      await restart();
      expect(store.nextDue()).toBe(0);
      expect(store.loadDue(T + 10, 10)).toEqual([]);
      expect(store.delayedCount('/', 'dx')).toBe(0);
    });

    test('a scheduler-like loop drains everything due, in order, with reads between removals', async () => {
      const expected: number[] = [];
      for (let i = 0; i < 250; i++) {
        const r = delayed(store, '/', 'dx', T + ((i * 37) % 100));
        store.putDelayed(r);
        expected.push(r.id);
        if (i === 100) await store.flush();
      }
      const order = (id: number) => T + (((id - expected[0]!) * 37) % 100);
      expected.sort((x, y) => order(x) - order(y) || x - y);
      const seen: number[] = [];
      for (let round = 0; round < 100 && store.nextDue() !== 0; round++) {
        for (const r of store.loadDue(store.nextDue() + 10, 7)) {
          seen.push(r.id);
          store.removeDelayed(r.id);
        }
        if (round % 5 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      expect(seen).toEqual(expected);
      await restart();
      expect(store.nextDue()).toBe(0);
    });

    test('deleteDelayed drops one exchange’s records only; delayedCount counts per exchange', async () => {
      store.putDelayed(delayed(store, '/', 'dx', T + 1));
      store.putDelayed(delayed(store, '/', 'dx', T + 2));
      const keptOtherName = delayed(store, '/', 'dy', T + 3);
      const keptOtherVhost = delayed(store, 'v2', 'dx', T + 4);
      store.putDelayed(keptOtherName);
      store.putDelayed(keptOtherVhost);
      await store.flush();
      const buffered = delayed(store, '/', 'dx', T + 0.5);
      store.putDelayed(buffered);
      expect(store.delayedCount('/', 'dx')).toBe(3);
      store.deleteDelayed('/', 'dx');
      expect(store.delayedCount('/', 'dx')).toBe(0);
      expect(store.nextDue()).toBe(T + 3);
      expect(store.loadDue(T + 10, 10)).toEqual([keptOtherName, keptOtherVhost]);
      // the exchange is declared again and takes new records
      const fresh = delayed(store, '/', 'dx', T + 5);
      store.putDelayed(fresh);
      await beforeAndAfterRestart((s) => {
        expect(s.loadDue(T + 10, 10)).toEqual([keptOtherName, keptOtherVhost, fresh]);
        expect(s.delayedCount('/', 'dx')).toBe(1);
        expect(s.delayedCount('/', 'dy')).toBe(1);
        expect(s.delayedCount('v2', 'dx')).toBe(1);
        expect(s.delayedCount('v2', 'none')).toBe(0);
      });
    });

    test('deleteVhost drops that vhost’s delayed records, buffered or not', async () => {
      store.putVhost({ name: 'a', description: '', tags: [] });
      store.putVhost({ name: 'b', description: '', tags: [] });
      store.putDelayed(delayed(store, 'a', 'dx', T + 1));
      await store.flush();
      store.putDelayed(delayed(store, 'a', 'dx', T + 2));
      const kept = delayed(store, 'b', 'dx', T + 3);
      store.putDelayed(kept);
      store.deleteVhost('a');
      expect(store.loadDue(T + 10, 10)).toEqual([kept]);
      await beforeAndAfterRestart((s) => {
        expect(s.loadDue(T + 10, 10)).toEqual([kept]);
        expect(s.nextDue()).toBe(T + 3);
        expect(s.delayedCount('a', 'dx')).toBe(0);
      });
    });

    test('delayed writes share the batch: afterCommit covers them', async () => {
      const r = new Recorder();
      const record = delayed(store, '/', 'dx', T);
      store.putDelayed(record);
      store.afterCommit(r, 1);
      expect(r.seen).toEqual([]);
      await store.flush();
      expect(r.seen).toEqual([1]);
      store.removeDelayed(record.id);
      store.afterCommit(r, 2);
      await eventually(() => r.seen.length >= 2, 5000, 'the listener');
      expect(r.seen).toEqual([1, 2]);
      await restart();
      expect(store.nextDue()).toBe(0);
    });
  });
}
