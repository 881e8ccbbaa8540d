import { DEFAULT_HASHING_ALGORITHM, hashPassword } from '../../auth/passwords';
import { useFixture } from '../test-support/use-fixture';
import { as } from '../test-support/http';

const fx = useFixture();

const call = fx.call;

function addUser(name: string, tags: string[]): void {
  fx.f.access.putUser({ name, passwordHash: hashPassword(name), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags });
}

const policy = { pattern: '^ha\\.', definition: { 'max-length': 10 }, priority: 1, 'apply-to': 'queues' };

describe('policies', () => {
  test('PUT creates (201), GET shows RabbitMQ shape, PUT again updates (204), DELETE (204) then 404', async () => {
    expect((await call('PUT', '/api/policies/%2F/p1', policy)).status).toBe(201);
    expect((await call('GET', '/api/policies/%2F/p1')).body).toEqual({
      vhost: '/',
      name: 'p1',
      pattern: '^ha\\.',
      'apply-to': 'queues',
      definition: { 'max-length': 10 },
      priority: 1,
    });
    expect((await call('PUT', '/api/policies/%2F/p1', { ...policy, priority: 5 })).status).toBe(204);
    expect((await call('GET', '/api/policies/%2F/p1')).body.priority).toBe(5);
    expect((await call('DELETE', '/api/policies/%2F/p1')).status).toBe(204);
    expect((await call('GET', '/api/policies/%2F/p1')).status).toBe(404);
    expect((await call('DELETE', '/api/policies/%2F/p1')).status).toBe(404);
  });

  test('stored as component policy with {pattern, apply-to, definition, priority}', async () => {
    await call('PUT', '/api/policies/%2F/p1', { pattern: '.*', definition: { 'message-ttl': 1000 } });
    expect(fx.f.store.loadParameters()).toEqual([
      { component: 'policy', vhost: '/', name: 'p1', value: { pattern: '.*', 'apply-to': 'all', definition: { 'message-ttl': 1000 }, priority: 0 } },
    ]);
  });

  test('defaults: priority 0, apply-to all; priority as a numeric string is accepted', async () => {
    await call('PUT', '/api/policies/%2F/p', { pattern: 'x', definition: { 'max-length': 1 }, priority: '7' });
    expect((await call('GET', '/api/policies/%2F/p')).body).toMatchObject({ priority: 7, 'apply-to': 'all' });
  });

  test('lists: all, per vhost; unknown vhost 404', async () => {
    fx.f.vhosts.put({ name: 'v2', description: '', tags: [] });
    await call('PUT', '/api/policies/%2F/a', policy);
    await call('PUT', '/api/policies/v2/b', policy);
    expect((await call('GET', '/api/policies')).body.map((p: any) => `${p.vhost}/${p.name}`)).toEqual(['//a', 'v2/b']);
    expect((await call('GET', '/api/policies/v2')).body.map((p: any) => p.name)).toEqual(['b']);
    expect((await call('GET', '/api/policies/nope')).status).toBe(404);
  });

  test('validation: missing keys, bad regex, bad apply-to, bad definition, unknown vhost', async () => {
    expect((await call('PUT', '/api/policies/%2F/p', { definition: {} })).body).toEqual({ error: 'bad_request', reason: '[{key_missing,pattern}]' });
    expect((await call('PUT', '/api/policies/%2F/p', { pattern: 'x' })).body).toEqual({ error: 'bad_request', reason: '[{key_missing,definition}]' });
    const badRegex = await call('PUT', '/api/policies/%2F/p', { pattern: '(', definition: { 'max-length': 1 } });
    expect(badRegex.status).toBe(400);
    expect(badRegex.body.reason).toMatch(/^Validation failed\n\npattern should be regular expression but is invalid: /);
    expect((await call('PUT', '/api/policies/%2F/p', { pattern: '.*', definition: {} })).body).toEqual({
      error: 'bad_request',
      reason: 'Validation failed\n\nno policy provided\n',
    });
    expect((await call('PUT', '/api/policies/%2F/p', { ...policy, 'apply-to': 'everything' })).status).toBe(400);
    expect((await call('PUT', '/api/policies/%2F/p', { ...policy, definition: [1] })).status).toBe(400);
    expect((await call('PUT', '/api/policies/%2F/p', { ...policy, priority: 'high' })).status).toBe(400);
    expect(await call('PUT', '/api/policies/nope/p', policy)).toMatchObject({ status: 404, body: { error: 'not_found', reason: 'vhost_not_found' } });
    for (const applyTo of ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams']) {
      expect((await call('PUT', `/api/policies/%2F/${applyTo}`, { ...policy, 'apply-to': applyTo })).status).toBe(201);
    }
  });

  test('policymakers with vhost access may manage policies; management and monitoring users may not', async () => {
    addUser('pm', ['policymaker']);
    fx.f.access.setPermission({ user: 'pm', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    fx.f.vhosts.put({ name: 'other', description: '', tags: [] });
    await call('PUT', '/api/policies/other/hidden', policy);
    expect((await call('PUT', '/api/policies/%2F/p', policy, as('pm'))).status).toBe(201);
    expect((await call('GET', '/api/policies', undefined, as('pm'))).body.map((p: any) => p.name)).toEqual(['p']);
    expect(await call('GET', '/api/policies/other', undefined, as('pm'))).toMatchObject({
      status: 401,
      body: { error: 'not_authorised', reason: 'User not authorised to access virtual host' },
    });
    // Lists are any management user's, filtered to the vhosts they can access (rabbit_mgmt_wm_policies); single
    // policies stay policymakers'.
    for (const user of ['mgmt', 'mon']) {
      const list = await call('GET', '/api/policies', undefined, as(user));
      expect(list.status).toBe(200);
      expect(list.body.map((p: any) => p.vhost).filter((v: string) => v === 'other')).toEqual([]);
      expect((await call('GET', '/api/policies/%2F/p', undefined, as(user))).status).toBe(401);
      expect((await call('PUT', '/api/policies/%2F/q', policy, as(user))).status).toBe(401);
    }
  });

  test('405 for unsupported verbs', async () => {
    const res = await call('POST', '/api/policies/%2F/p', policy);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, PUT, DELETE, HEAD, OPTIONS');
  });
});

describe('operator policies', () => {
  test('stored as operator_policy, same shapes, administrators only', async () => {
    addUser('pm', ['policymaker']);
    fx.f.access.setPermission({ user: 'pm', vhost: '/', configure: '.*', write: '.*', read: '.*' });
    expect((await call('PUT', '/api/operator-policies/%2F/op', { pattern: '.*', definition: { 'max-length': 5 } })).status).toBe(201);
    expect(fx.f.store.loadParameters().map((p) => p.component)).toEqual(['operator_policy']);
    expect((await call('GET', '/api/operator-policies')).body).toEqual([
      { vhost: '/', name: 'op', pattern: '.*', 'apply-to': 'all', definition: { 'max-length': 5 }, priority: 0 },
    ]);
    expect((await call('GET', '/api/operator-policies/%2F')).body).toHaveLength(1);
    expect((await call('GET', '/api/policies')).body).toEqual([]);
    // Lists: filtered to the vhosts the user can access; single operator policies: administrators only.
    expect((await call('GET', '/api/operator-policies', undefined, as('pm'))).body).toHaveLength(1);
    expect((await call('GET', '/api/operator-policies/%2F/op', undefined, as('pm'))).body).toEqual({
      error: 'not_authorised',
      reason: 'Not administrator user',
    });
    expect((await call('DELETE', '/api/operator-policies/%2F/op')).status).toBe(204);
    expect(fx.f.store.loadParameters()).toEqual([]);
  });
});
