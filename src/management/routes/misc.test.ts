import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../../auth/passwords';
import { useFixture } from '../test-support/use-fixture';
import { as } from '../test-support/http';
import { NODE_NAME } from '../test-support/fixture';
import { erlangTerm, validateDefinition } from './policies';

const fx = useFixture();

const call = fx.call;

function addUser(name: string, tags: string[]): void {
  fx.f.access.putUser({ name, passwordHash: hashPassword(name), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags });
}

describe('misc endpoints', () => {
  test('cluster-name: node name by default, stored as the global parameter cluster_name', async () => {
    const before = (await call('GET', '/api/cluster-name')).body.name;
    expect(typeof before).toBe('string');
    expect((await call('PUT', '/api/cluster-name', {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,name}]' });
    expect((await call('PUT', '/api/cluster-name', { name: 'c1' })).status).toBe(204);
    expect((await call('GET', '/api/cluster-name')).body).toEqual({ name: 'c1' });
    expect((await call('GET', '/api/global-parameters/cluster_name')).body).toEqual({ name: 'cluster_name', value: 'c1' });
    expect((await call('GET', '/api/overview')).body.cluster_name).toBe('c1');
  });

  test('feature-flags for administrators, auth without login, extensions as RabbitMQ lists them', async () => {
    expect((await call('GET', '/api/feature-flags')).body).toContainEqual(expect.objectContaining({ name: 'quorum_queue', state: 'enabled' }));
    expect((await call('GET', '/api/feature-flags', undefined, as('mgmt'))).status).toBe(401);
    const res = await fx.app.inject({ method: 'GET', url: '/api/auth' });
    expect([res.statusCode, res.json()]).toEqual([200, { oauth_enabled: false }]);
    expect((await call('GET', '/api/extensions')).body).toEqual([{ javascript: 'dispatcher.js' }]);
  });

  test('leveret/ha without authentication: a node on SQLite is a group of one, always active', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/api/leveret/ha' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ node: NODE_NAME, role: 'active', epoch: 0, leader: null, store: 'sqlite', nodes: [] });
  });

  test('users/without-permissions, users/bulk-delete, tags_not_present', async () => {
    addUser('a', []);
    addUser('b', []);
    const lonely = (await call('GET', '/api/users/without-permissions')).body.map((u: any) => u.name);
    expect(lonely).toEqual(expect.arrayContaining(['a', 'b']));
    expect(lonely).not.toContain('guest');
    expect(await call('POST', '/api/users/bulk-delete', { users: ['a', 'zz', 'b'] })).toMatchObject({
      status: 400,
      body: { error: 'bad_request', reason: ['no_such_user', 'zz'] },
    });
    expect(fx.f.access.getUser('a')).toBeUndefined();
    expect((await call('POST', '/api/users/bulk-delete', { users: ['b'] })).status).toBe(204);
    expect((await call('PUT', '/api/users/c', { password: 'x' })).body).toEqual({ error: 'bad_request', reason: 'tags_not_present' });
    expect((await call('PUT', '/api/users/c', { password: 'x', administrator: 'true' })).status).toBe(201);
    expect(fx.f.access.getUser('c')?.tags).toEqual(['administrator']);
  });

  test('certificate-expiration and aliveness-test permissions', async () => {
    expect((await call('GET', '/api/health/checks/certificate-expiration/2/weeks')).body).toEqual({ status: 'ok' });
    expect((await call('GET', '/api/health/checks/certificate-expiration/2/x')).status).toBe(400);
    fx.f.access.deletePermission('mgmt', '/');
    expect((await call('GET', '/api/aliveness-test/%2F', undefined, as('mgmt'))).body.reason).toBe('User not authorised to access virtual host');
    fx.f.access.setPermission({ user: 'mgmt', vhost: '/', configure: '.*', write: '^$', read: '.*' });
    expect((await call('GET', '/api/aliveness-test/%2F', undefined, as('mgmt'))).body.reason).toBe(
      "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'mgmt'",
    );
  });
});

describe('policy definitions', () => {
  test('Erlang terms and RabbitMQ texts', () => {
    expect(erlangTerm({ a: [1, 'x', true] })).toBe('#{<<"a">> => [1,<<"x">>,true]}');
    expect(() => validateDefinition({ b: 1, a: 'x' }, false)).toThrow('[{<<"a">>,<<"x">>},{<<"b">>,1}] are not recognised policy settings');
    expect(() => validateDefinition({ expires: 0 }, false)).toThrow('0 is not a valid queue expiry');
    expect(() => validateDefinition({ overflow: 'drop-head' }, true)).toThrow('not recognised policy settings');
    expect(() => validateDefinition({ 'max-length': 1, 'message-ttl': 0 }, true)).not.toThrow();
  });
});
