import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../../auth/passwords';
import { useFixture } from '../test-support/use-fixture';
import { as } from '../test-support/http';

const fx = useFixture();

const call = fx.call;

describe('runtime parameters', () => {
  const upstream = { uri: 'amqp://remote', 'ack-mode': 'on-confirm' };

  test('PUT 201 then 204, GET shape, lists by component and vhost, DELETE', async () => {
    fx.f.vhosts.put({ name: 'v2', description: '', tags: [] });
    expect((await call('PUT', '/api/parameters/federation-upstream/%2F/up', { value: upstream })).status).toBe(201);
    expect((await call('PUT', '/api/parameters/federation-upstream/%2F/up', { value: upstream })).status).toBe(204);
    // RabbitMQ's clients also send vhost, component and name in the body; the path wins.
    expect(
      (await call('PUT', '/api/parameters/shovel/v2/sh', { vhost: 'v2', component: 'shovel', name: 'sh', value: { x: 1 } })).status,
    ).toBe(201);
    expect((await call('GET', '/api/parameters/federation-upstream/%2F/up')).body).toEqual({
      value: upstream,
      vhost: '/',
      component: 'federation-upstream',
      name: 'up',
    });
    expect((await call('GET', '/api/parameters')).body.map((p: any) => `${p.component}:${p.vhost}:${p.name}`)).toEqual([
      'federation-upstream:/:up',
      'shovel:v2:sh',
    ]);
    expect((await call('GET', '/api/parameters/shovel')).body.map((p: any) => p.name)).toEqual(['sh']);
    expect((await call('GET', '/api/parameters/shovel/%2F')).body).toEqual([]);
    expect((await call('GET', '/api/parameters/shovel/nope')).status).toBe(404);
    expect((await call('DELETE', '/api/parameters/shovel/v2/sh')).status).toBe(204);
    expect((await call('DELETE', '/api/parameters/shovel/v2/sh')).status).toBe(404);
    expect((await call('GET', '/api/parameters/shovel/v2/sh')).status).toBe(404);
    expect(fx.f.store.loadParameters()).toHaveLength(1);
  });

  test('value is mandatory; unknown vhost is 404 vhost_not_found', async () => {
    expect((await call('PUT', '/api/parameters/shovel/%2F/s', {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,value}]' });
    expect(await call('PUT', '/api/parameters/shovel/nope/s', { value: 1 })).toMatchObject({
      status: 404,
      body: { reason: 'vhost_not_found' },
    });
  });

  test('policies, topic permissions, user limits and global parameters are not parameters here', async () => {
    await call('PUT', '/api/policies/%2F/p', { pattern: '.*', definition: { 'max-length': 1 } });
    await call('PUT', '/api/global-parameters/cluster_tag', { value: 'x' });
    fx.f.access.setUserLimits('guest', { 'max-channels': 3 });
    fx.f.access.setTopicPermission({ user: 'guest', vhost: '/', exchange: 'amq.topic', write: '.*', read: '.*' });
    expect((await call('GET', '/api/parameters')).body).toEqual([]);
    expect((await call('GET', '/api/parameters/policy/%2F/p')).status).toBe(404);
    expect((await call('PUT', '/api/parameters/policy/%2F/p', { value: {} })).status).toBe(400);
    expect((await call('DELETE', '/api/parameters/policy/%2F/p')).status).toBe(404);
  });

  test('vhost-limits are listed as parameters and written through to the vhost', async () => {
    expect((await call('PUT', '/api/parameters/vhost-limits/%2F/limits', { value: { 'max-queues': 3 } })).status).toBe(201);
    expect(fx.f.vhosts.get('/')?.limits).toEqual({ 'max-queues': 3 });
    expect((await call('GET', '/api/parameters/vhost-limits')).body).toEqual([
      { value: { 'max-queues': 3 }, vhost: '/', component: 'vhost-limits', name: 'limits' },
    ]);
    expect((await call('PUT', '/api/parameters/vhost-limits/%2F/limits', { value: { 'max-foo': 3 } })).status).toBe(400);
    expect((await call('PUT', '/api/parameters/vhost-limits/%2F/other', { value: { 'max-queues': 3 } })).status).toBe(400);
    expect((await call('DELETE', '/api/parameters/vhost-limits/%2F/limits')).status).toBe(204);
    expect(fx.f.vhosts.get('/')?.limits).toEqual({});
  });

  test('policymaker gate: management users are refused', async () => {
    expect(await call('GET', '/api/parameters', undefined, as('mgmt'))).toMatchObject({
      status: 401,
      body: { reason: 'User not authorised to access object' },
    });
    fx.f.access.putUser({ name: 'pm', passwordHash: hashPassword('pm'), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags: ['policymaker'] });
    expect((await call('PUT', '/api/parameters/shovel/%2F/s', { value: 1 }, as('pm'))).status).toBe(401);
    fx.f.access.setPermission({ user: 'pm', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    expect((await call('PUT', '/api/parameters/shovel/%2F/s', { value: 1 }, as('pm'))).status).toBe(201);
  });
});

describe('global parameters', () => {
  test('PUT/GET/list/DELETE, stored as component global with vhost ""', async () => {
    expect((await call('PUT', '/api/global-parameters/cluster_tags', { value: { region: 'eu' } })).status).toBe(201);
    expect((await call('PUT', '/api/global-parameters/cluster_tags', { name: 'cluster_tags', value: { region: 'us' } })).status).toBe(204);
    expect((await call('GET', '/api/global-parameters/cluster_tags')).body).toEqual({ name: 'cluster_tags', value: { region: 'us' } });
    expect((await call('GET', '/api/global-parameters')).body).toEqual([{ name: 'cluster_tags', value: { region: 'us' } }]);
    expect(fx.f.store.loadParameters()).toEqual([{ component: 'global', vhost: '', name: 'cluster_tags', value: { region: 'us' } }]);
    expect((await call('PUT', '/api/global-parameters/x', {})).status).toBe(400);
    expect((await call('DELETE', '/api/global-parameters/cluster_tags')).status).toBe(204);
    expect((await call('GET', '/api/global-parameters/cluster_tags')).status).toBe(404);
    expect((await call('GET', '/api/global-parameters', undefined, as('mgmt'))).status).toBe(401);
  });
});
