import { beforeEach, describe, expect, test } from '@jest/globals';
import type { Store } from '../../store';
import { eventually } from '../../../test-support/eventually';
import type { ContractContext } from './context';
import { queue, message, Recorder } from './fixtures';

/** The Store contract: afterCommit listeners and flush(). */
export function durabilityContract(ctx: ContractContext): void {
  let store: Store;
  beforeEach(() => {
    store = ctx.store;
  });

  describe('durability', () => {
    test('afterCommit listeners are called in order, never synchronously, before flush() resolves', async () => {
      const q = store.putQueue(queue('/', 'q'));
      const r = new Recorder();
      store.enqueue(q, 1, message(store, 'a'));
      store.afterCommit(r, 1);
      store.afterCommit(r, 2);
      store.enqueue(q, 2, message(store, 'b'));
      store.afterCommit(r, 3);
      expect(r.seen).toEqual([]);
      await store.flush();
      expect(r.seen).toEqual([1, 2, 3]);
      store.afterCommit(r, 4); // nothing written since: still called, still later
      expect(r.seen).toEqual([1, 2, 3]);
      await store.flush();
      expect(r.seen).toEqual([1, 2, 3, 4]);
    });

    test('afterCommit listeners run without anyone calling flush()', async () => {
      const q = store.putQueue(queue('/', 'q'));
      const r = new Recorder();
      store.enqueue(q, 1, message(store, 'a'));
      store.afterCommit(r, 7);
      await eventually(() => r.seen.length >= 1, 5000, 'the listener');
      expect(r.seen).toEqual([7]);
    });

    test('listeners registered in later turns come after earlier ones', async () => {
      const r = new Recorder();
      const q = store.putQueue(queue('/', 'q'));
      for (let turn = 0; turn < 5; turn++) {
        store.enqueue(q, turn + 1, message(store, `t${turn}`));
        store.afterCommit(r, turn * 2);
        store.afterCommit(r, turn * 2 + 1);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await store.flush();
      expect(r.seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
  });
}
