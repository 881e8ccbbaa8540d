import { useFixture } from '../test-support/use-fixture';
import { as } from '../test-support/http';

const fx = useFixture();

const call = fx.call;

describe('vhost limits', () => {
  test('PUT each limit, GET in RabbitMQ shape, DELETE one, list only vhosts with limits', async () => {
    fx.f.vhosts.put({ name: 'v2', description: '', tags: [] });
    expect((await call('GET', '/api/vhost-limits')).body).toEqual([]);
    expect((await call('GET', '/api/vhost-limits/%2F')).body).toEqual([]);
    expect((await call('PUT', '/api/vhost-limits/%2F/max-queues', { value: 10 })).status).toBe(204);
    expect((await call('PUT', '/api/vhost-limits/%2F/max-connections', { value: -1 })).status).toBe(204);
    expect(fx.f.vhosts.get('/')?.limits).toEqual({ 'max-queues': 10, 'max-connections': -1 });
    expect((await call('GET', '/api/vhost-limits')).body).toEqual([{ vhost: '/', value: { 'max-queues': 10, 'max-connections': -1 } }]);
    expect((await call('GET', '/api/vhost-limits/%2F')).body).toEqual([{ vhost: '/', value: { 'max-queues': 10, 'max-connections': -1 } }]);
    expect((await call('DELETE', '/api/vhost-limits/%2F/max-connections')).status).toBe(204);
    expect(fx.f.vhosts.get('/')?.limits).toEqual({ 'max-queues': 10 });
    expect((await call('DELETE', '/api/vhost-limits/%2F/max-queues')).status).toBe(204);
    expect((await call('GET', '/api/vhost-limits')).body).toEqual([]);
    expect(fx.f.store.loadParameters()).toEqual([]);
  });

  test('the limit takes effect: max-queues refuses the next declare', async () => {
    await call('PUT', '/api/vhost-limits/%2F/max-queues', { value: 1 });
    expect((await call('PUT', '/api/queues/%2F/q1', {})).status).toBe(201);
    const refused = await call('PUT', '/api/queues/%2F/q2', {});
    expect(refused.status).toBe(400);
    expect(refused.body.reason).toMatch(/queue limit/);
  });

  test('validation and errors', async () => {
    expect((await call('PUT', '/api/vhost-limits/%2F/max-queues', {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,value}]' });
    expect((await call('PUT', '/api/vhost-limits/%2F/max-queues', { value: '10' })).status).toBe(400);
    expect((await call('PUT', '/api/vhost-limits/%2F/max-queues', { value: 1.5 })).status).toBe(400);
    expect((await call('PUT', '/api/vhost-limits/%2F/max-channels', { value: 1 })).status).toBe(400);
    expect(await call('PUT', '/api/vhost-limits/nope/max-queues', { value: 1 })).toMatchObject({ status: 404, body: { reason: 'vhost_not_found' } });
    expect((await call('GET', '/api/vhost-limits/nope')).status).toBe(404);
    expect((await call('GET', '/api/vhost-limits/%2F/max-queues')).status).toBe(405);
  });

  test('reading follows vhost visibility; writing needs administrator', async () => {
    fx.f.vhosts.put({ name: 'other', description: '', tags: [] });
    fx.f.vhosts.setLimits('other', { 'max-queues': 1 });
    fx.f.vhosts.setLimits('/', { 'max-queues': 2 });
    expect((await call('GET', '/api/vhost-limits', undefined, as('mgmt'))).body).toEqual([{ vhost: '/', value: { 'max-queues': 2 } }]);
    expect((await call('GET', '/api/vhost-limits', undefined, as('mon'))).body).toHaveLength(2);
    expect((await call('GET', '/api/vhost-limits/other', undefined, as('mgmt'))).status).toBe(401);
    expect(await call('PUT', '/api/vhost-limits/%2F/max-queues', { value: 1 }, as('mgmt'))).toMatchObject({
      status: 401,
      body: { reason: 'Not administrator user' },
    });
  });
});

describe('user limits', () => {
  test('PUT, GET shapes, DELETE one', async () => {
    expect((await call('GET', '/api/user-limits')).body).toEqual([]);
    expect((await call('PUT', '/api/user-limits/mgmt/max-channels', { value: 5 })).status).toBe(204);
    expect((await call('PUT', '/api/user-limits/mgmt/max-connections', { value: 2 })).status).toBe(204);
    expect(fx.f.access.getUserLimits('mgmt')).toEqual({ 'max-channels': 5, 'max-connections': 2 });
    expect((await call('GET', '/api/user-limits')).body).toEqual([{ user: 'mgmt', value: { 'max-channels': 5, 'max-connections': 2 } }]);
    expect((await call('GET', '/api/user-limits/mgmt')).body).toEqual([{ user: 'mgmt', value: { 'max-channels': 5, 'max-connections': 2 } }]);
    expect((await call('GET', '/api/user-limits/guest')).body).toEqual([]);
    expect((await call('DELETE', '/api/user-limits/mgmt/max-channels')).status).toBe(204);
    expect(fx.f.access.getUserLimits('mgmt')).toEqual({ 'max-connections': 2 });
    expect((await call('DELETE', '/api/user-limits/mgmt/max-connections')).status).toBe(204);
    expect((await call('GET', '/api/user-limits')).body).toEqual([]);
  });

  test('errors: unknown user, unknown limit, bad value, non-admin writes', async () => {
    expect((await call('GET', '/api/user-limits/ghost')).status).toBe(404);
    expect(await call('PUT', '/api/user-limits/ghost/max-channels', { value: 1 })).toMatchObject({ status: 404, body: { reason: 'user_not_found' } });
    expect((await call('PUT', '/api/user-limits/mgmt/max-queues', { value: 1 })).status).toBe(400);
    expect((await call('PUT', '/api/user-limits/mgmt/max-channels', { value: 'x' })).status).toBe(400);
    expect((await call('PUT', '/api/user-limits/mgmt/max-channels', { value: 1 }, as('mgmt'))).status).toBe(401);
    expect((await call('GET', '/api/user-limits', undefined, as('mgmt'))).status).toBe(200);
  });
});
