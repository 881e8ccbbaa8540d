import { describe, expect, test } from '@jest/globals';
import { decodeBytes } from '../../../protocol/utf8';
import type { QuarantineRecord } from '../../store';
import type { ContractContext } from './context';

/** The Store contract: quarantined messages. */
export function quarantineContract(ctx: ContractContext): void {
  describe('quarantine', () => {
    const poisoned = (vhost: string, queueName: string, reason: string, at: number): QuarantineRecord => ({
      vhost,
      queue: queueName,
      reason,
      at,
      exchange: decodeBytes(Buffer.from('78ff', 'hex'), 0, 2),
      routingKey: 'rk',
      properties: Buffer.from('8000', 'hex'),
      body: Buffer.from(`body of ${reason}`),
    });

    test('quarantined messages round-trip exactly, oldest first, per vhost or all, across a restart', async () => {
      expect(ctx.store.quarantineCount()).toBe(0);
      expect(ctx.store.loadQuarantine(10)).toEqual([]);
      const a = poisoned('/', 'q1', 'properties: truncated short string', 1_700_000_000_000);
      const b = poisoned('v2', 'q2', 'delivery failed twice', 1_700_000_000_001);
      const c = poisoned('/', '', 'delayed message unreadable', 1_700_000_000_002);
      for (const r of [a, b, c]) ctx.store.quarantine(r);
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.quarantineCount()).toBe(3);
        expect(s.quarantineCount('/')).toBe(2);
        const all = s.loadQuarantine(10);
        expect(all.map(({ id: _id, ...rest }) => rest)).toEqual([a, b, c]);
        expect(new Set(all.map((r) => r.id)).size).toBe(3);
        expect(s.loadQuarantine(1).map((r) => r.reason)).toEqual([a.reason]);
        expect(s.loadQuarantine(10, 'v2').map((r) => r.queue)).toEqual(['q2']);
      });
    });

    test('deleteVhost drops the vhost’s quarantined messages only', async () => {
      ctx.store.quarantine(poisoned('/', 'q', 'one', 1));
      ctx.store.quarantine(poisoned('gone', 'q', 'two', 2));
      ctx.store.deleteVhost('gone');
      await ctx.beforeAndAfterRestart((s) => {
        expect(s.loadQuarantine(10).map((r) => r.reason)).toEqual(['one']);
      });
    });
  });
}
