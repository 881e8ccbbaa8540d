import { describe, expect, test } from '@jest/globals';
import { Decimal } from '../../../protocol/field-table';
import type { ContractContext } from './context';
import { EVERY_TYPE, exchange, queue, binding, message, bodiesOf } from './fixtures';

/** The Store contract: exchanges, queues and bindings; users, vhosts and permissions. */
export function definitionsContract(ctx: ContractContext): void {
  describe('definitions', () => {
    test('exchanges, queues and bindings round-trip, arguments of every type exactly', async () => {
      ctx.store.putExchange(exchange('/', 'x', EVERY_TYPE));
      ctx.store.putExchange({ ...exchange('/', 'ax'), type: 'fanout', durable: true, autoDelete: true, internal: true });
      const id = ctx.store.putQueue(queue('/', 'q', EVERY_TYPE));
      ctx.store.putBinding(binding('/', 'x', 'q', 'queue', 'a.#', EVERY_TYPE));
      ctx.store.putBinding(binding('/', 'x', 'ax', 'exchange', '', {}));

      await ctx.beforeAndAfterRestart((s) => {
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
      ctx.store.putExchange(exchange('/', 'x', { a: 1 }));
      ctx.store.putExchange({ ...exchange('/', 'x', { b: 2 }), type: 'direct' });
      ctx.store.putQueue(queue('/', 'q'));
      ctx.store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { a: 1, b: 'two' }));
      ctx.store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { b: 'two', a: 1 }));
      ctx.store.putBinding(binding('/', 'x', 'q', 'queue', 'k', { a: 2, b: 'two' }));
      await ctx.restart();
      const defs = ctx.store.loadDefinitions();
      expect(defs.exchanges).toEqual([{ ...exchange('/', 'x', { b: 2 }), type: 'direct' }]);
      expect(defs.bindings).toHaveLength(2);
      ctx.store.deleteBinding(binding('/', 'x', 'q', 'queue', 'k', { b: 'two', a: 1 }));
      expect(ctx.store.loadDefinitions().bindings).toEqual([binding('/', 'x', 'q', 'queue', 'k', { a: 2, b: 'two' })]);
    });

    test('putQueue keeps the id of a (vhost, name), across restarts; other queues get other ids', async () => {
      const a = ctx.store.putQueue(queue('/', 'a'));
      const b = ctx.store.putQueue(queue('/', 'b'));
      const a2 = ctx.store.putQueue(queue('/', 'a', { 'x-max-length': 10 }));
      const otherVhost = ctx.store.putQueue(queue('v2', 'a'));
      expect(a2).toBe(a);
      expect(new Set([a, b, otherVhost]).size).toBe(3);
      await ctx.restart();
      expect(ctx.store.putQueue(queue('/', 'a', { 'x-max-length': 20 }))).toBe(a);
      const c = ctx.store.putQueue(queue('/', 'c'));
      expect([a, b, otherVhost]).not.toContain(c);
      const defs = ctx.store.loadDefinitions();
      expect(defs.queues.find((q) => q.name === 'a' && q.vhost === '/')).toEqual({
        ...queue('/', 'a', { 'x-max-length': 20 }),
        id: a,
      });
      expect(defs.queues).toHaveLength(4);
    });

    test('deleting a queue removes its entries, its bindings and the bodies only it held', async () => {
      ctx.store.putExchange(exchange('/', 'x'));
      ctx.store.putExchange(exchange('/', 'x2'));
      const q = ctx.store.putQueue(queue('/', 'q'));
      const keep = ctx.store.putQueue(queue('/', 'keep'));
      ctx.store.putBinding(binding('/', 'x', 'q'));
      ctx.store.putBinding(binding('/', 'x', 'x2', 'exchange'));
      ctx.store.putBinding(binding('/', 'x', 'keep'));
      const shared = message(ctx.store, 'shared');
      ctx.store.enqueue(q, 1, shared);
      ctx.store.enqueue(keep, 1, shared);
      ctx.store.enqueue(q, 2, message(ctx.store, 'only-q'));
      await ctx.store.flush();
      ctx.store.deleteQueue('/', 'q');
      await ctx.restart();
      const defs = ctx.store.loadDefinitions();
      expect(defs.queues.map((x) => x.name)).toEqual(['keep']);
      expect(defs.bindings).toHaveLength(2);
      expect(defs.bindings).not.toContainEqual(binding('/', 'x', 'q'));
      expect(ctx.store.loadEntries(q, 0, 10)).toEqual([]);
      expect(ctx.store.queueStats(q).messages).toBe(0);
      expect(bodiesOf(ctx.store.loadEntries(keep, 0, 10))).toEqual(['shared']);
      if (ctx.fx.bodies) expect(ctx.fx.bodies()).toBe(1);
      // a queue declared again under the old name starts empty
      const again = ctx.store.putQueue(queue('/', 'q'));
      expect(ctx.store.loadEntries(again, 0, 10)).toEqual([]);
      expect(ctx.store.queueStats(again).messages).toBe(0);
    });

    test('deleting an exchange removes the bindings from it and to it', async () => {
      ctx.store.putExchange(exchange('/', 'x'));
      ctx.store.putExchange(exchange('/', 'y'));
      ctx.store.putQueue(queue('/', 'q'));
      ctx.store.putBinding(binding('/', 'x', 'q'));
      ctx.store.putBinding(binding('/', 'y', 'x', 'exchange'));
      ctx.store.putBinding(binding('/', 'y', 'q'));
      ctx.store.putBinding(binding('other', 'x', 'q'));
      ctx.store.deleteExchange('/', 'x');
      await ctx.restart();
      const defs = ctx.store.loadDefinitions();
      expect(defs.exchanges.map((e) => e.name)).toEqual(['y']);
      expect(defs.bindings).toHaveLength(2);
      expect(defs.bindings).toContainEqual(binding('/', 'y', 'q'));
      expect(defs.bindings).toContainEqual(binding('other', 'x', 'q'));
    });

    test('deleting a vhost removes everything in it and nothing elsewhere', async () => {
      for (const v of ['a', 'b']) {
        ctx.store.putVhost({ name: v, description: '', tags: [] });
        ctx.store.putExchange(exchange(v, 'x'));
        const q = ctx.store.putQueue(queue(v, 'q'));
        ctx.store.putBinding(binding(v, 'x', 'q'));
        ctx.store.putPermission({ user: 'u', vhost: v, configure: '.*', write: '.*', read: '.*' });
        ctx.store.enqueue(q, 1, message(ctx.store, `in ${v}`));
      }
      ctx.store.putUser({ name: 'u', passwordHash: '', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] });
      const qa = ctx.store.loadDefinitions().queues.find((q) => q.vhost === 'a')!.id;
      ctx.store.deleteVhost('a');
      await ctx.restart();
      const defs = ctx.store.loadDefinitions();
      expect(defs.exchanges.map((e) => e.vhost)).toEqual(['b']);
      expect(defs.queues.map((q) => q.vhost)).toEqual(['b']);
      expect(defs.bindings.map((b) => b.vhost)).toEqual(['b']);
      const access = ctx.store.loadAccess();
      expect(access.vhosts.map((v) => v.name)).toEqual(['b']);
      expect(access.permissions.map((p) => p.vhost)).toEqual(['b']);
      expect(access.users.map((u) => u.name)).toEqual(['u']);
      expect(ctx.store.loadEntries(qa, 0, 10)).toEqual([]);
      const qb = defs.queues[0]!.id;
      expect(bodiesOf(ctx.store.loadEntries(qb, 0, 10))).toEqual(['in b']);
      if (ctx.fx.bodies) expect(ctx.fx.bodies()).toBe(1);
    });
  });

  describe('access', () => {
    test('vhosts, users and permissions round-trip, update and delete', async () => {
      ctx.store.putVhost({ name: '/', description: 'default', tags: [] });
      ctx.store.putVhost({ name: 'prod', description: 'production', tags: ['critical', 'eu'], defaultQueueType: 'classic' });
      ctx.store.putUser({ name: 'guest', passwordHash: 'abc=', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] });
      ctx.store.putUser({ name: 'app', passwordHash: '', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] });
      ctx.store.putPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
      ctx.store.putPermission({ user: 'app', vhost: 'prod', configure: '', write: '^app\\.', read: '.*' });
      ctx.store.putPermission({ user: 'app', vhost: '/', configure: 'x', write: 'y', read: 'z' });

      await ctx.beforeAndAfterRestart((s) => {
        const access = s.loadAccess();
        expect(access.vhosts).toHaveLength(2);
        expect(access.vhosts).toContainEqual({ name: '/', description: 'default', tags: [] });
        expect(access.vhosts).toContainEqual({ name: 'prod', description: 'production', tags: ['critical', 'eu'], defaultQueueType: 'classic' });
        expect(access.users).toContainEqual({ name: 'guest', passwordHash: 'abc=', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] });
        expect(access.users).toHaveLength(2);
        expect(access.permissions).toHaveLength(3);
        expect(access.permissions).toContainEqual({ user: 'app', vhost: 'prod', configure: '', write: '^app\\.', read: '.*' });
      });

      ctx.store.putUser({ name: 'guest', passwordHash: 'new=', hashingAlgorithm: 'rabbit_password_hashing_sha512', tags: [] });
      ctx.store.putPermission({ user: 'guest', vhost: '/', configure: '', write: '', read: '' });
      ctx.store.putVhost({ name: 'prod', description: 'changed', tags: [] });
      ctx.store.deletePermission('app', '/');
      await ctx.restart();
      let access = ctx.store.loadAccess();
      expect(access.users).toContainEqual({ name: 'guest', passwordHash: 'new=', hashingAlgorithm: 'rabbit_password_hashing_sha512', tags: [] });
      expect(access.permissions).toContainEqual({ user: 'guest', vhost: '/', configure: '', write: '', read: '' });
      expect(access.permissions).toHaveLength(2);
      expect(access.vhosts).toContainEqual({ name: 'prod', description: 'changed', tags: [] });

      ctx.store.deleteUser('app');
      await ctx.restart();
      access = ctx.store.loadAccess();
      expect(access.users.map((u) => u.name)).toEqual(['guest']);
      expect(access.permissions.map((p) => p.user)).toEqual(['guest']);
    });
  });
}
