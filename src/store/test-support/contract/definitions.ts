import { beforeEach, describe, expect, test } from '@jest/globals';
import { Decimal } from '../../../protocol/field-table';
import type { Store } from '../../store';
import type { ContractContext } from './context';
import { EVERY_TYPE, exchange, queue, binding, message, bodiesOf } from './fixtures';

/** The Store contract: exchanges, queues and bindings; users, vhosts and permissions. */
export function definitionsContract(ctx: ContractContext): void {
  let store: Store;
  let fx: ContractContext['fx'];
  beforeEach(() => {
    store = ctx.store;
    fx = ctx.fx;
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

  describe('definitions', () => {
    test('exchanges, queues and bindings round-trip, arguments of every type exactly', async () => {
      store.putExchange(exchange('/', 'x', EVERY_TYPE));
      store.putExchange({ ...exchange('/', 'ax'), type: 'fanout', durable: true, autoDelete: true, internal: true });
      const id = store.putQueue(queue('/', 'q', EVERY_TYPE));
      store.putBinding(binding('/', 'x', 'q', 'queue', 'a.#', EVERY_TYPE));
      store.putBinding(binding('/', 'x', 'ax', 'exchange', '', {}));

      await beforeAndAfterRestart((s) => {
        const defs = s.loadDefinitions();
        const byName = (n: string) => defs.exchanges.find((e) => e.name === n);
        expect(byName('x')).toEqual(exchange('/', 'x', EVERY_TYPE));
        expect(byName('ax')).toEqual({ ...exchange('/', 'ax'), type: 'fanout', autoDelete: true, internal: true });
        expect(defs.queues).toEqual([{ ...queue('/', 'q', EVERY_TYPE), id }]);
        expect(defs.bindings).toHaveLength(2);
        expect(defs.bindings).toContainEqual(binding('/', 'x', 'q', 'queue', 'a.#', EVERY_TYPE));
        expect(defs.bindings).toContainEqual(binding('/', 'x', 'ax', 'exchange', '', {}));
        const q = defs.queues[0]!;
        expect(typeof q.arguments['huge']).toBe('bigint');
        expect(Buffer.isBuffer(q.arguments['bytes'])).toBe(true);
        expect(q.arguments['decimal']).toBeInstanceOf(Decimal);
        expect(q.arguments['when']).toBeInstanceOf(Date);
      });
    });

    test('put updates in place; the same binding put twice is stored once, equal arguments in any key order', async () => {
      store.putExchange(exchange('/', 'x', { a: 1 }));
      store.putExchange({ ...exchange('/', 'x', { b: 2 }), type: 'direct' });
      store.putQueue(queue('/', 'q'));
      store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { a: 1, b: 'two' }));
      store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { b: 'two', a: 1 }));
      store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { a: 2, b: 'two' }));
      await restart();
      const defs = store.loadDefinitions();
      expect(defs.exchanges).toEqual([{ ...exchange('/', 'x', { b: 2 }), type: 'direct' }]);
      expect(defs.bindings).toHaveLength(2);
      store.deleteBinding(binding('/', 'x', 'q', 'queue', 'k', { b: 'two', a: 1 }));
      expect(store.loadDefinitions().bindings).toEqual([binding('/', 'x', 'q', 'queue', 'k', { a: 2, b: 'two' })]);
    });

    test('putQueue keeps the id of a (vhost, name), across restarts; other queues get other ids', async () => {
      const a = store.putQueue(queue('/', 'a'));
      const b = store.putQueue(queue('/', 'b'));
      const a2 = store.putQueue(queue('/', 'a', { 'x-max-length': 10 }));
      const otherVhost = store.putQueue(queue('v2', 'a'));
      expect(a2).toBe(a);
      expect(new Set([a, b, otherVhost]).size).toBe(3);
      await restart();
      expect(store.putQueue(queue('/', 'a', { 'x-max-length': 20 }))).toBe(a);
      const c = store.putQueue(queue('/', 'c'));
      expect([a, b, otherVhost]).not.toContain(c);
      const defs = store.loadDefinitions();
      expect(defs.queues.find((q) => q.name === 'a' && q.vhost === '/')).toEqual({
        ...queue('/', 'a', { 'x-max-length': 20 }),
        id: a,
      });
      expect(defs.queues).toHaveLength(4);
    });

    test('deleting a queue removes its entries, its bindings and the bodies only it held', async () => {
      store.putExchange(exchange('/', 'x'));
      store.putExchange(exchange('/', 'x2'));
      const q = store.putQueue(queue('/', 'q'));
      const keep = store.putQueue(queue('/', 'keep'));
      store.putBinding(binding('/', 'x', 'q'));
      store.putBinding(binding('/', 'x', 'x2', 'exchange'));
      store.putBinding(binding('/', 'x', 'keep'));
      const shared = message(store, 'shared');
      store.enqueue(q, 1, shared);
      store.enqueue(keep, 1, shared);
      store.enqueue(q, 2, message(store, 'only-q'));
      await store.flush();
      store.deleteQueue('/', 'q');
      await restart();
      const defs = store.loadDefinitions();
      expect(defs.queues.map((x) => x.name)).toEqual(['keep']);
      expect(defs.bindings).toHaveLength(2);
      expect(defs.bindings).not.toContainEqual(binding('/', 'x', 'q'));
      expect(store.loadEntries(q, 0, 10)).toEqual([]);
      expect(store.queueStats(q).messages).toBe(0);
      expect(bodiesOf(store.loadEntries(keep, 0, 10))).toEqual(['shared']);
      if (fx.bodies) expect(fx.bodies()).toBe(1);
      // a queue declared again under the old name starts empty
      const again = store.putQueue(queue('/', 'q'));
      expect(store.loadEntries(again, 0, 10)).toEqual([]);
      expect(store.queueStats(again).messages).toBe(0);
    });

    test('deleting an exchange removes the bindings from it and to it', async () => {
      store.putExchange(exchange('/', 'x'));
      store.putExchange(exchange('/', 'y'));
      store.putQueue(queue('/', 'q'));
      store.putBinding(binding('/', 'x', 'q'));
      store.putBinding(binding('/', 'y', 'x', 'exchange'));
      store.putBinding(binding('/', 'y', 'q'));
      store.putBinding(binding('other', 'x', 'q'));
      store.deleteExchange('/', 'x');
      await restart();
      const defs = store.loadDefinitions();
      expect(defs.exchanges.map((e) => e.name)).toEqual(['y']);
      expect(defs.bindings).toHaveLength(2);
      expect(defs.bindings).toContainEqual(binding('/', 'y', 'q'));
      expect(defs.bindings).toContainEqual(binding('other', 'x', 'q'));
    });

    test('deleting a vhost removes everything in it and nothing elsewhere', async () => {
      for (const v of ['a', 'b']) {
        store.putVhost({ name: v, description: '', tags: [] });
        store.putExchange(exchange(v, 'x'));
        const q = store.putQueue(queue(v, 'q'));
        store.putBinding(binding(v, 'x', 'q'));
        store.putPermission({ user: 'u', vhost: v, configure: '.*', write: '.*', read: '.*' });
        store.enqueue(q, 1, message(store, `in ${v}`));
      }
      store.putUser({ name: 'u', passwordHash: '', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] });
      const qa = store.loadDefinitions().queues.find((q) => q.vhost === 'a')!.id;
      store.deleteVhost('a');
      await restart();
      const defs = store.loadDefinitions();
      expect(defs.exchanges.map((e) => e.vhost)).toEqual(['b']);
      expect(defs.queues.map((q) => q.vhost)).toEqual(['b']);
      expect(defs.bindings.map((b) => b.vhost)).toEqual(['b']);
      const access = store.loadAccess();
      expect(access.vhosts.map((v) => v.name)).toEqual(['b']);
      expect(access.permissions.map((p) => p.vhost)).toEqual(['b']);
      expect(access.users.map((u) => u.name)).toEqual(['u']);
      expect(store.loadEntries(qa, 0, 10)).toEqual([]);
      const qb = defs.queues[0]!.id;
      expect(bodiesOf(store.loadEntries(qb, 0, 10))).toEqual(['in b']);
      if (fx.bodies) expect(fx.bodies()).toBe(1);
    });
  });

  describe('access', () => {
    test('vhosts, users and permissions round-trip, update and delete', async () => {
      store.putVhost({ name: '/', description: 'default', tags: [] });
      store.putVhost({ name: 'prod', description: 'production', tags: ['critical', 'eu'], defaultQueueType: 'classic' });
      store.putUser({ name: 'guest', passwordHash: 'abc=', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] });
      store.putUser({ name: 'app', passwordHash: '', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] });
      store.putPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
      store.putPermission({ user: 'app', vhost: 'prod', configure: '', write: '^app\\.', read: '.*' });
      store.putPermission({ user: 'app', vhost: '/', configure: 'x', write: 'y', read: 'z' });

      await beforeAndAfterRestart((s) => {
        const access = s.loadAccess();
        expect(access.vhosts).toHaveLength(2);
        expect(access.vhosts).toContainEqual({ name: '/', description: 'default', tags: [] });
        expect(access.vhosts).toContainEqual({ name: 'prod', description: 'production', tags: ['critical', 'eu'], defaultQueueType: 'classic' });
        expect(access.users).toContainEqual({ name: 'guest', passwordHash: 'abc=', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] });
        expect(access.users).toHaveLength(2);
        expect(access.permissions).toHaveLength(3);
        expect(access.permissions).toContainEqual({ user: 'app', vhost: 'prod', configure: '', write: '^app\\.', read: '.*' });
      });

      store.putUser({ name: 'guest', passwordHash: 'new=', hashingAlgorithm: 'rabbit_password_hashing_sha512', tags: [] });
      store.putPermission({ user: 'guest', vhost: '/', configure: '', write: '', read: '' });
      store.putVhost({ name: 'prod', description: 'changed', tags: [] });
      store.deletePermission('app', '/');
      await restart();
      let access = store.loadAccess();
      expect(access.users).toContainEqual({ name: 'guest', passwordHash: 'new=', hashingAlgorithm: 'rabbit_password_hashing_sha512', tags: [] });
      expect(access.permissions).toContainEqual({ user: 'guest', vhost: '/', configure: '', write: '', read: '' });
      expect(access.permissions).toHaveLength(2);
      expect(access.vhosts).toContainEqual({ name: 'prod', description: 'changed', tags: [] });

      store.deleteUser('app');
      await restart();
      access = store.loadAccess();
      expect(access.users.map((u) => u.name)).toEqual(['guest']);
      expect(access.permissions.map((p) => p.user)).toEqual(['guest']);
    });
  });
}
