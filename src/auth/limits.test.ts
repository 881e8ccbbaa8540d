/**
 * User limits in AccessControl and vhost limits in VhostRegistry, on a MemoryStore: both are runtime parameters in
 * the store (user-limits broker-wide, vhost-limits per vhost) and come back through load().
 */
import { MemoryStore } from '../store/memory';
import { VhostRegistry } from '../vhost/registry';
import type { VirtualHost } from '../vhost/vhost';
import { USER_LIMITS_COMPONENT } from './access';
import { parameters, reloaded, setup } from './test-support/access';

describe('AccessControl: user limits', () => {
  test('a user without limits gets {}', () => {
    const { access } = setup();
    expect(access.getUserLimits('alice')).toEqual({});
    expect(access.getUserLimits('no-such-user')).toEqual({});
    expect(access.listUserLimits()).toEqual([]);
  });

  test('setUserLimits stores them as a broker-wide user-limits parameter; a reloaded AccessControl has them', () => {
    const { store, access } = setup();
    access.setUserLimits('alice', { 'max-connections': 2, 'max-channels': 5 });
    access.setUserLimits('bob', { 'max-channels': -1 });
    expect(access.getUserLimits('alice')).toEqual({ 'max-connections': 2, 'max-channels': 5 });
    expect(parameters(store, USER_LIMITS_COMPONENT).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { component: USER_LIMITS_COMPONENT, vhost: '', name: 'alice', value: { 'max-connections': 2, 'max-channels': 5 } },
      { component: USER_LIMITS_COMPONENT, vhost: '', name: 'bob', value: { 'max-channels': -1 } },
    ]);
    const again = reloaded(store);
    expect(again.getUserLimits('alice')).toEqual({ 'max-connections': 2, 'max-channels': 5 });
    expect(again.getUserLimits('bob')).toEqual({ 'max-channels': -1 });
    expect(again.listUserLimits().sort((a, b) => a.user.localeCompare(b.user))).toEqual([
      { user: 'alice', limits: { 'max-connections': 2, 'max-channels': 5 } },
      { user: 'bob', limits: { 'max-channels': -1 } },
    ]);
  });

  test('setting limits again replaces them as a whole', () => {
    const { store, access } = setup();
    access.setUserLimits('alice', { 'max-connections': 2 });
    access.setUserLimits('alice', { 'max-channels': 7 });
    expect(access.getUserLimits('alice')).toEqual({ 'max-channels': 7 });
    expect(reloaded(store).getUserLimits('alice')).toEqual({ 'max-channels': 7 });
  });

  test('setUserLimits with {} clears them in memory and in the store', () => {
    const { store, access } = setup();
    access.setUserLimits('alice', { 'max-connections': 2 });
    access.setUserLimits('bob', { 'max-connections': 4 });
    access.setUserLimits('alice', {});
    expect(access.getUserLimits('alice')).toEqual({});
    expect(access.listUserLimits()).toEqual([{ user: 'bob', limits: { 'max-connections': 4 } }]);
    expect(parameters(store, USER_LIMITS_COMPONENT).map((p) => p.name)).toEqual(['bob']);
    expect(reloaded(store).getUserLimits('alice')).toEqual({});
  });

  test('user limits survive deleting the vhost named like the user (they are broker-wide)', () => {
    const { store, access } = setup();
    access.setUserLimits('alice', { 'max-connections': 1 });
    store.putVhost({ name: 'alice', description: '', tags: [] });
    store.deleteVhost('alice');
    expect(reloaded(store).getUserLimits('alice')).toEqual({ 'max-connections': 1 });
  });
});

describe('VhostRegistry: vhost limits', () => {
  function registry(): { store: MemoryStore; vhosts: VhostRegistry } {
    const store = new MemoryStore();
    const vhosts = new VhostRegistry(store);
    vhosts.put({ name: '/', description: '', tags: [] });
    vhosts.put({ name: 'prod', description: '', tags: [] });
    return { store, vhosts };
  }

  function restarted(store: MemoryStore): VhostRegistry {
    const vhosts = new VhostRegistry(store);
    vhosts.load(store.loadAccess().vhosts, store.loadDefinitions(), store.loadParameters());
    return vhosts;
  }

  test('a new vhost has no limits', () => {
    const { vhosts } = registry();
    expect(vhosts.get('/')?.limits).toEqual({});
  });

  test('setLimits on an unknown vhost is false and stores nothing', () => {
    const { store, vhosts } = registry();
    expect(vhosts.setLimits('nope', { 'max-queues': 1 })).toBe(false);
    expect(store.loadParameters()).toEqual([]);
  });

  test('setLimits sets VirtualHost.limits and stores a vhost-limits parameter for that vhost only', () => {
    const { store, vhosts } = registry();
    expect(vhosts.setLimits('prod', { 'max-connections': 3, 'max-queues': 10 })).toBe(true);
    expect(vhosts.get('prod')?.limits).toEqual({ 'max-connections': 3, 'max-queues': 10 });
    expect(vhosts.get('/')?.limits).toEqual({});
    expect(store.loadParameters()).toEqual([
      { component: 'vhost-limits', vhost: 'prod', name: 'limits', value: { 'max-connections': 3, 'max-queues': 10 } },
    ]);
  });

  test('load(records, definitions, parameters) restores each vhost its own limits', () => {
    const { store, vhosts } = registry();
    vhosts.setLimits('prod', { 'max-connections': 3, 'max-queues': 10 });
    vhosts.setLimits('/', { 'max-queues': 0 });
    const again = restarted(store);
    expect(again.get('prod')?.limits).toEqual({ 'max-connections': 3, 'max-queues': 10 });
    expect(again.get('/')?.limits).toEqual({ 'max-queues': 0 });
  });

  test('a restored max-queues limit is enforced by queue.declare', () => {
    const { store, vhosts } = registry();
    vhosts.setLimits('prod', { 'max-queues': 1 });
    const prod = restarted(store).get('prod') as VirtualHost;
    const req = { passive: false, durable: false, exclusive: false, autoDelete: false, arguments: {} };
    prod.declareQueue({ name: 'q1', ...req }, {});
    expect(() => prod.declareQueue({ name: 'q2', ...req }, {})).toThrow(
      "PRECONDITION_FAILED - cannot declare queue 'q2': queue limit in vhost 'prod' (1) is reached",
    );
  });

  test('replacing limits replaces them as a whole, also after a restart', () => {
    const { store, vhosts } = registry();
    vhosts.setLimits('prod', { 'max-connections': 3 });
    vhosts.setLimits('prod', { 'max-queues': 4 });
    expect(vhosts.get('prod')?.limits).toEqual({ 'max-queues': 4 });
    expect(restarted(store).get('prod')?.limits).toEqual({ 'max-queues': 4 });
  });

  test('setLimits with {} clears them in memory and in the store', () => {
    const { store, vhosts } = registry();
    vhosts.setLimits('prod', { 'max-queues': 4 });
    expect(vhosts.setLimits('prod', {})).toBe(true);
    expect(vhosts.get('prod')?.limits).toEqual({});
    expect(store.loadParameters()).toEqual([]);
    expect(restarted(store).get('prod')?.limits).toEqual({});
  });

  test('deleting a vhost removes its limits; a vhost re-created under the name starts without any', () => {
    const { store, vhosts } = registry();
    vhosts.setLimits('prod', { 'max-queues': 4 });
    vhosts.setLimits('/', { 'max-queues': 2 });
    vhosts.delete('prod');
    expect(store.loadParameters().map((p) => p.vhost)).toEqual(['/']);
    vhosts.put({ name: 'prod', description: '', tags: [] });
    expect(vhosts.get('prod')?.limits).toEqual({});
    const again = restarted(store);
    expect(again.get('prod')?.limits).toEqual({});
    expect(again.get('/')?.limits).toEqual({ 'max-queues': 2 });
  });

  test('load ignores limits of vhosts that are not loaded and parameters of other components', () => {
    const store = new MemoryStore();
    store.putVhost({ name: '/', description: '', tags: [] });
    store.putParameter({ component: 'vhost-limits', vhost: 'ghost', name: 'limits', value: { 'max-queues': 1 } });
    store.putParameter({ component: 'user-limits', vhost: '', name: '/', value: { 'max-connections': 1 } });
    store.putParameter({ component: 'policy', vhost: '/', name: 'limits', value: { 'max-queues': 1 } });
    const vhosts = restarted(store);
    expect(vhosts.get('/')?.limits).toEqual({});
    expect(vhosts.get('ghost')).toBeUndefined();
  });
});
