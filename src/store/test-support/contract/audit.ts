import { describe, expect, test } from '@jest/globals';
import type { AuditRecord, StoredAudit } from '../../store';
import type { ContractContext } from './context';

/** The Store contract: the audit log. */
export function auditContract(ctx: ContractContext): void {
  describe('audit log', () => {
    const entry = (at: number, fields: Partial<AuditRecord> = {}): AuditRecord => ({
      at,
      user: 'alice',
      source: 'amqp',
      peer: '127.0.0.1',
      vhost: '/',
      action: 'queue.declare',
      objectType: 'queue',
      objectName: `q${at}`,
      details: '{"durable":true}',
      result: 'ok',
      reason: '',
      ...fields,
    });
    const strip = (rows: StoredAudit[]): AuditRecord[] => rows.map(({ id: _id, ...rest }) => rest);

    test('entries round-trip exactly, newest first, with growing ids, across a restart', async () => {
      expect(ctx.store.auditCount({})).toBe(0);
      expect(ctx.store.loadAudit({}, 10)).toEqual([]);
      const a = entry(1000);
      const b = entry(1001, { user: 'bob', source: 'http', action: 'user.put', objectType: 'user', objectName: 'carol', vhost: '' });
      const c = entry(1002, { result: 'refused', reason: "ACCESS_REFUSED - access to queue 'x' refused", details: '{}' });
      for (const r of [a, b, c]) ctx.store.audit(r);
      await ctx.beforeAndAfterRestart((s) => {
        const rows = s.loadAudit({}, 10);
        expect(strip(rows)).toEqual([c, b, a]);
        expect(rows[0]!.id).toBeGreaterThan(rows[1]!.id);
        expect(rows[1]!.id).toBeGreaterThan(rows[2]!.id);
        expect(s.auditCount({})).toBe(3);
        expect(strip(s.loadAudit({}, 2))).toEqual([c, b]);
      });
    });

    test('filters: since, until, user, vhost, action exactly or by its type prefix', () => {
      ctx.store.audit(entry(10, { action: 'queue.declare' }));
      ctx.store.audit(entry(20, { action: 'queue.delete', user: 'bob' }));
      ctx.store.audit(entry(30, { action: 'queues.bogus', vhost: 'v2' }));
      ctx.store.audit(entry(40, { action: 'exchange.declare', vhost: 'v2', user: 'bob' }));
      const ats = (f: Parameters<typeof ctx.store.loadAudit>[0]): number[] => ctx.store.loadAudit(f, 100).map((r) => r.at);
      expect(ats({ since: 20 })).toEqual([40, 30, 20]);
      expect(ats({ until: 20 })).toEqual([20, 10]);
      expect(ats({ since: 20, until: 30 })).toEqual([30, 20]);
      expect(ats({ user: 'bob' })).toEqual([40, 20]);
      expect(ats({ vhost: 'v2' })).toEqual([40, 30]);
      expect(ats({ action: 'queue' })).toEqual([20, 10]);
      expect(ats({ action: 'queue.delete' })).toEqual([20]);
      expect(ats({ action: 'queue.del' })).toEqual([]);
      expect(ats({ user: 'bob', vhost: 'v2', action: 'exchange' })).toEqual([40]);
      expect(ctx.store.auditCount({ user: 'bob' })).toBe(2);
      expect(ctx.store.auditCount({ action: 'queue', since: 15 })).toBe(1);
    });

    test('pruneAudit keeps the newest `keep` entries and none older than `before`, across a restart', async () => {
      for (let at = 1; at <= 10; at++) ctx.store.audit(entry(at));
      ctx.store.pruneAudit(6, 0);
      expect(ctx.store.loadAudit({}, 100).map((r) => r.at)).toEqual([10, 9, 8, 7, 6, 5]);
      ctx.store.pruneAudit(100, 8);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadAudit({}, 100).map((r) => r.at)).toEqual([10, 9, 8]);
      });
      ctx.store.pruneAudit(0, 0);
      expect(ctx.store.auditCount({})).toBe(0);
    });

    test('deleteVhost keeps the vhost’s audit entries: the log outlives what it describes', async () => {
      ctx.store.putVhost({ name: 'gone', description: '', tags: [] });
      ctx.store.audit(entry(1, { vhost: 'gone', action: 'vhost.delete', objectType: 'vhost', objectName: 'gone' }));
      ctx.store.deleteVhost('gone');
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadAudit({ vhost: 'gone' }, 10).map((r) => r.action)).toEqual(['vhost.delete']);
      });
    });
  });
}
