import { AccessControl } from '../auth/access';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../auth/passwords';
import { AmqpError } from '../protocol/amqp-error';
import { encodeBasicProperties } from '../protocol/generated/amqp';
import { MemoryStore } from '../store/memory';
import { VhostRegistry } from '../vhost/registry';
import { publishRouting } from './publish';
import { AdminService } from './service';

/** A service over a memory store with vhost '/' and user 'guest' (administrator, all permissions on '/'). */
function service(): { admin: AdminService; vhosts: VhostRegistry; store: MemoryStore } {
  const store = new MemoryStore();
  const access = new AccessControl(store, new Set());
  const vhosts = new VhostRegistry(store);
  vhosts.put({ name: '/', description: '', tags: [] });
  access.putUser({ name: 'guest', passwordHash: hashPassword('guest'), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags: ['administrator'] });
  access.setPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' });
  return { admin: new AdminService({ vhosts, access, store, connections: () => [], nodeName: 'leveret@test' }), vhosts, store };
}

const FIGURES = { ranges: {}, now: 0 };
const noCheck = (): void => undefined;

function publishText(admin: AdminService, exchange: string, routingKey: string, text: string): Promise<boolean> {
  const properties = encodeBasicProperties({});
  return admin.messages.publish('/', exchange, {
    routingKey,
    routing: publishRouting(routingKey, properties),
    body: Buffer.from(text),
    persistent: false,
    expiration: -1,
  });
}

describe('AdminService', () => {
  test('declares, lists and deletes exchanges, queues and bindings as plain views', () => {
    const { admin } = service();
    const { entities } = admin;
    expect(entities.declareExchange('/', 'x', { type: 'direct', durable: true, autoDelete: false, internal: false, arguments: {} }, noCheck)).toBe(true);
    expect(entities.declareExchange('/', 'x', { type: 'direct', durable: true, autoDelete: false, internal: false, arguments: {} }, noCheck)).toBe(false);
    expect(entities.declareQueue('/', 'q', { durable: false, autoDelete: false, arguments: { 'x-max-length': 3 } }, noCheck)).toBe(true);
    const key = entities.bind('/', { source: 'x', destinationType: 'q', destination: 'q' }, 'k', {});
    expect(key).toBe('k');
    expect(entities.queue('/', 'q', FIGURES)).toMatchObject({ name: 'q', vhost: '/', arguments: { 'x-max-length': 3 }, consumer_details: [] });
    expect(entities.exchange('/', 'x')).toMatchObject({ name: 'x', type: 'direct', durable: true });
    expect(entities.queueBindings('/', 'q')?.map((b) => [b.source, b.routing_key])).toEqual([
      ['', 'q'],
      ['x', 'k'],
    ]);
    // The default exchange's implicit binding is listed but cannot be removed.
    expect(entities.between('/', { source: '', destinationType: 'q', destination: 'q' })).toEqual([
      expect.objectContaining({ removable: false }),
    ]);
    expect(entities.unbind('/', { source: 'x', destinationType: 'q', destination: 'q' }, 'nope')).toBe(false);
    expect(entities.unbind('/', { source: 'x', destinationType: 'q', destination: 'q' }, 'k')).toBe(true);
    expect(entities.queueBindings('/', 'q')).toHaveLength(1);
    entities.deleteQueue('/', 'q', false, false);
    expect(entities.queue('/', 'q', FIGURES)).toBeUndefined();
    expect(entities.queuesOf('nowhere', FIGURES)).toBeUndefined();
  });

  test('publishes through the vhost, gets with requeue, purges', async () => {
    const { admin } = service();
    admin.entities.declareQueue('/', 'q', { durable: false, autoDelete: false, arguments: {} }, noCheck);
    expect(await publishText(admin, '', 'q', 'one')).toBe(true);
    expect(await publishText(admin, '', 'q', 'two')).toBe(true);
    expect(await publishText(admin, '', 'elsewhere', 'lost')).toBe(false);
    const got = admin.messages.get('/', 'q', { ackMode: 'ack_requeue_true', count: 5, truncate: undefined, encoding: 'auto' });
    expect(got.map((m) => m.payload)).toEqual(['one', 'two']);
    expect(admin.entities.queue('/', 'q', FIGURES)).toMatchObject({ messages_ready: 2 });
    admin.messages.purge('/', 'q');
    expect(admin.entities.queue('/', 'q', FIGURES)).toMatchObject({ messages_ready: 0 });
  });

  test('a queue held by a connection is refused with RESOURCE_LOCKED', () => {
    const { admin, vhosts } = service();
    vhosts.get('/')?.declareQueue({ name: 'mine', passive: false, durable: false, exclusive: true, autoDelete: false, arguments: {} }, {});
    expect(() => admin.messages.purge('/', 'mine')).toThrow(AmqpError);
    expect(() => admin.messages.purge('/', 'mine')).toThrow("cannot obtain exclusive access to locked queue 'mine' in vhost '/'");
  });

  test('logins, users, parameters and policies', async () => {
    const { admin, store } = service();
    expect(await admin.users.login('guest', 'guest', '127.0.0.1')).toMatchObject({ name: 'guest', tags: ['administrator'] });
    expect(await admin.users.login('guest', 'wrong', '127.0.0.1')).toBe('invalid');
    expect(admin.users.put('alice', { password: 'pw' }, ['management'])).toBe(true);
    expect(admin.users.put('alice', {}, ['monitoring'])).toBe(false);
    const alice = await admin.users.login('alice', 'pw', '127.0.0.1');
    expect(alice).toMatchObject({ name: 'alice', tags: ['monitoring'] });
    // A web UI session stays valid while the password does, and ends when it changes or the user goes.
    const stamp = (alice as { credentialStamp: string }).credentialStamp;
    expect(admin.users.current('alice', stamp, '127.0.0.1')).toMatchObject({ name: 'alice', tags: ['monitoring'] });
    admin.users.put('alice', { password: 'other' }, ['monitoring']);
    expect(admin.users.current('alice', stamp, '127.0.0.1')).toBeUndefined();
    admin.parameters.setClusterName('rabbit@here');
    expect(admin.parameters.clusterName()).toBe('rabbit@here');
    admin.parameters.setPolicy('policy', '/', 'p', { pattern: '^q', 'apply-to': 'queues', definition: { 'max-length': 1 }, priority: 0 });
    expect(admin.parameters.of('policy').map((p) => admin.parameters.formatPolicy(p))).toEqual([
      { vhost: '/', name: 'p', pattern: '^q', 'apply-to': 'queues', definition: { 'max-length': 1 }, priority: 0 },
    ]);
    expect(store.loadParameters().map((p) => p.component).sort()).toEqual(['global', 'policy']);
  });
});
