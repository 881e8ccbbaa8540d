import { MemoryStore } from '../store/memory';
import { effectiveArguments, compilePolicy, OPERATOR_POLICY_COMPONENT, POLICY_COMPONENT, queuePolicy, type PolicyValue } from './policies';
import { VhostRegistry } from './registry';

const OWNER = {};

function policy(pattern: string, definition: Record<string, unknown>, priority = 0, applyTo = 'queues'): PolicyValue {
  return { pattern, definition, priority, 'apply-to': applyTo };
}

function setup(): { registry: VhostRegistry; store: MemoryStore } {
  const store = new MemoryStore();
  const registry = new VhostRegistry(store);
  registry.put({ name: '/', description: '', tags: [] });
  return { registry, store };
}

function declare(registry: VhostRegistry, name: string, args: Record<string, number | string> = {}) {
  const vhost = registry.get('/');
  if (vhost === undefined) throw new Error('no vhost');
  return vhost.declareQueue({ name, passive: false, durable: false, exclusive: false, autoDelete: false, arguments: args }, OWNER);
}

describe('policies', () => {
  test('the matching policy with the highest priority applies to existing and new queues, and is stored', () => {
    const { registry, store } = setup();
    const before = declare(registry, 'orders.a');
    registry.setPolicy(POLICY_COMPONENT, '/', 'low', policy('^orders\\.', { 'message-ttl': 5000 }, 1));
    registry.setPolicy(POLICY_COMPONENT, '/', 'high', policy('^orders\\.', { 'max-length': 3, 'dead-letter-exchange': 'dlx' }, 2));
    const after = declare(registry, 'orders.b');
    const other = declare(registry, 'invoices');
    for (const q of [before, after]) {
      expect(q.policy).toBe('high');
      expect(q.settings).toMatchObject({ maxLength: 3, deadLetterExchange: 'dlx', messageTtl: undefined });
    }
    expect(other.policy).toBeUndefined();
    expect(other.settings.maxLength).toBeUndefined();
    expect(store.loadParameters().map((p) => p.name).sort()).toEqual(['high', 'low']);
  });

  test('removing the policy reverts to the declared arguments; drop-head trims at once when a limit arrives', () => {
    const { registry } = setup();
    const q = declare(registry, 'q', { 'x-message-ttl': 100 });
    for (const body of ['1', '2', '3']) {
      q.enqueue({ id: 0, persistent: false, exchange: '', routingKey: 'q', properties: Buffer.from([0, 0]), body: Buffer.from(body), expiration: -1, headers: undefined });
    }
    registry.setPolicy(POLICY_COMPONENT, '/', 'limit', policy('.*', { 'max-length': 1, 'message-ttl': 50 }));
    expect(q.messageCount).toBe(1);
    expect(q.settings.messageTtl).toBe(50);
    registry.setPolicy(POLICY_COMPONENT, '/', 'limit', undefined);
    expect(q.policy).toBeUndefined();
    expect(q.settings).toMatchObject({ maxLength: undefined, messageTtl: 100 });
  });

  test('limits take the lowest of argument, policy and operator policy; other keys prefer the argument', () => {
    const p = compilePolicy('p', policy('.*', { 'max-length': 10, 'dead-letter-exchange': 'from-policy', overflow: 'reject-publish' }));
    const op = compilePolicy('op', policy('.*', { 'max-length': 7, 'message-ttl': 1000 }));
    expect(effectiveArguments({ 'x-max-length': 8, 'x-dead-letter-exchange': 'mine' }, p, op)).toEqual({
      'x-max-length': 7,
      'x-message-ttl': 1000,
      'x-dead-letter-exchange': 'mine',
      'x-overflow': 'reject-publish',
    });
  });

  test('apply-to decides which queues match; an operator policy is reported separately', () => {
    const exchangesOnly = compilePolicy('x', policy('.*', { 'max-length': 1 }, 5, 'exchanges'));
    const quorumOnly = compilePolicy('qq', policy('.*', { 'max-length': 1 }, 5, 'quorum_queues'));
    const all = compilePolicy('all', policy('.*', { 'max-length': 1 }, 0, 'all'));
    const policies = [exchangesOnly, quorumOnly, all].filter((p) => p !== undefined);
    expect(queuePolicy(policies, 'q', false)?.name).toBe('all');
    expect(queuePolicy(policies, 'q', true)?.name).toBe('qq');
    const { registry } = setup();
    const q = declare(registry, 'q');
    registry.setPolicy(OPERATOR_POLICY_COMPONENT, '/', 'ops', policy('.*', { 'max-length-bytes': 100 }));
    expect(q.operatorPolicy).toBe('ops');
    expect(q.policy).toBeUndefined();
    expect(q.settings.maxLengthBytes).toBe(100);
  });
});
