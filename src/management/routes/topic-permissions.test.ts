import { useFixture } from '../test-support/use-fixture';
import { as } from '../test-support/http';

const fx = useFixture();

const call = fx.call;

const perm = { exchange: 'amq.topic', write: '^a\\.', read: '.*' };

describe('topic permissions', () => {
  test('PUT 201 then 204, GET lists the user\'s topic permissions in the vhost, DELETE removes them all', async () => {
    expect((await call('GET', '/api/topic-permissions/%2F/mgmt')).status).toBe(404);
    expect((await call('PUT', '/api/topic-permissions/%2F/mgmt', perm)).status).toBe(201);
    expect((await call('PUT', '/api/topic-permissions/%2F/mgmt', { ...perm, exchange: 'x.topic' })).status).toBe(204);
    expect((await call('GET', '/api/topic-permissions/%2F/mgmt')).body).toEqual([
      { user: 'mgmt', vhost: '/', exchange: 'amq.topic', write: '^a\\.', read: '.*' },
      { user: 'mgmt', vhost: '/', exchange: 'x.topic', write: '^a\\.', read: '.*' },
    ]);
    expect((await call('GET', '/api/topic-permissions')).body).toHaveLength(2);
    expect((await call('GET', '/api/vhosts/%2F/topic-permissions')).body).toHaveLength(2);
    expect((await call('GET', '/api/users/mgmt/topic-permissions')).body).toHaveLength(2);
    expect((await call('GET', '/api/users/guest/topic-permissions')).body).toEqual([]);
    expect((await call('DELETE', '/api/topic-permissions/%2F/mgmt/x.topic')).status).toBe(204);
    expect((await call('GET', '/api/topic-permissions/%2F/mgmt')).body).toHaveLength(1);
    expect((await call('DELETE', '/api/topic-permissions/%2F/mgmt')).status).toBe(204);
    expect((await call('DELETE', '/api/topic-permissions/%2F/mgmt')).status).toBe(404);
    expect(fx.f.access.listTopicPermissions()).toEqual([]);
  });

  test('the permission takes effect in AccessControl.checkTopic', async () => {
    await call('PUT', '/api/topic-permissions/%2F/mgmt', perm);
    expect(() => fx.f.access.checkTopic('mgmt', '/', 'amq.topic', 'write', 'a.b')).not.toThrow();
    expect(() => fx.f.access.checkTopic('mgmt', '/', 'amq.topic', 'write', 'b.c')).toThrow(/refused/);
  });

  test('validation: mandatory keys, bad regex, unknown user or vhost', async () => {
    expect((await call('PUT', '/api/topic-permissions/%2F/mgmt', { write: '.*', read: '.*' })).body).toEqual({
      error: 'bad_request',
      reason: '[{key_missing,exchange}]',
    });
    expect((await call('PUT', '/api/topic-permissions/%2F/mgmt', { ...perm, write: '(' })).status).toBe(400);
    expect((await call('PUT', '/api/topic-permissions/%2F/ghost', perm)).body).toEqual({ error: 'bad_request', reason: 'vhost_or_user_not_found' });
    expect((await call('PUT', '/api/topic-permissions/nope/mgmt', perm)).status).toBe(400);
    expect((await call('GET', '/api/vhosts/nope/topic-permissions')).status).toBe(404);
    expect((await call('GET', '/api/users/ghost/topic-permissions')).status).toBe(404);
  });

  test('administrators only', async () => {
    for (const url of ['/api/topic-permissions', '/api/topic-permissions/%2F/mgmt', '/api/vhosts/%2F/topic-permissions', '/api/users/mgmt/topic-permissions']) {
      expect(await call('GET', url, undefined, as('mon'))).toMatchObject({ status: 401, body: { reason: 'Not administrator user' } });
    }
    expect((await call('PUT', '/api/topic-permissions/%2F/mgmt', perm, as('mgmt'))).status).toBe(401);
  });
});
