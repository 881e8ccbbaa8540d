import type { Page } from '../listing';
import { basic, GUEST } from '../test-support/fixture';
import { useFixture } from '../test-support/use-fixture';

const fx = useFixture();
const call = fx.call;

describe('vhosts', () => {
  test('create (201), update (204), get, list, delete (204), delete again (404)', async () => {
    expect((await call('PUT', '/api/vhosts/dev', { description: 'Dev', tags: 'a,b', default_queue_type: 'classic' })).status).toBe(201);
    expect((await call('PUT', '/api/vhosts/dev', { description: 'Dev 2', tags: ['c'] })).status).toBe(204);
    const one = await call('GET', '/api/vhosts/dev');
    expect(one.body).toMatchObject({ name: 'dev', description: 'Dev 2', tags: ['c'], default_queue_type: 'classic', messages: 0 });
    expect(one.body.metadata).toEqual({ description: 'Dev 2', tags: ['c'], default_queue_type: 'classic' });
    expect((await call('GET', '/api/vhosts')).body.map((v: { name: string }) => v.name)).toEqual(['/', 'dev']);
    expect((await call('DELETE', '/api/vhosts/dev')).status).toBe(204);
    expect(await call('DELETE', '/api/vhosts/dev')).toMatchObject({ status: 404, body: { error: 'Object Not Found' } });
    expect((await call('GET', '/api/vhosts/dev')).status).toBe(404);
  });
  test('PUT with no body creates; with a bad body is 400', async () => {
    expect((await fx.app.inject({ method: 'PUT', url: '/api/vhosts/empty', headers: GUEST })).statusCode).toBe(201);
    expect((await call('PUT', '/api/vhosts/bad', { description: 5 })).status).toBe(400);
    expect((await call('PUT', '/api/vhosts/bad', '{"description":')).body).toEqual({ error: 'bad_request', reason: 'not_json' });
  });
  test('the default vhost %2F', async () => {
    expect((await call('GET', '/api/vhosts/%2F')).body.name).toBe('/');
  });
  test('paged vhosts', async () => {
    const page = (await call('GET', '/api/vhosts?page=1&page_size=1')).body as Page<{ name: string }>;
    expect(page).toMatchObject({ page: 1, page_size: 1, item_count: 1, total_count: 1, filtered_count: 1, page_count: 1 });
  });
});

describe('users', () => {
  test('create with password and tags string; login works; update keeps the hash; delete', async () => {
    expect((await call('PUT', '/api/users/alice', { password: 's3cret', tags: 'administrator,monitoring' })).status).toBe(201);
    const alice = (await call('GET', '/api/users/alice')).body;
    expect(alice).toMatchObject({ name: 'alice', tags: ['administrator', 'monitoring'], hashing_algorithm: 'rabbit_password_hashing_sha256' });
    expect(typeof alice.password_hash).toBe('string');
    expect((await call('GET', '/api/whoami', undefined, { authorization: basic('alice', 's3cret') })).body.name).toBe('alice');
    expect((await call('PUT', '/api/users/alice', { tags: ['management'] })).status).toBe(204);
    expect((await call('GET', '/api/users/alice')).body).toMatchObject({ tags: ['management'], password_hash: alice.password_hash });
    expect((await call('GET', '/api/users')).body.map((u: { name: string }) => u.name)).toEqual(['alice', 'guest', 'mgmt', 'mon', 'plain']);
    expect((await call('DELETE', '/api/users/alice')).status).toBe(204);
    expect((await call('DELETE', '/api/users/alice')).status).toBe(404);
    expect((await call('GET', '/api/users/alice')).status).toBe(404);
  });
  test('create with password_hash and hashing_algorithm', async () => {
    const { hashPassword } = await import('../../auth/passwords');
    const hash = hashPassword('pw', 'rabbit_password_hashing_sha512');
    expect((await call('PUT', '/api/users/bob', { password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_sha512', tags: '' })).status).toBe(201);
    expect((await call('GET', '/api/users/bob')).body).toMatchObject({ password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_sha512', tags: [] });
    expect((await call('PUT', '/api/users/bob', { password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_nope' })).status).toBe(400);
    expect((await call('PUT', '/api/users/bob', { password_hash: '!!not base64!!' })).status).toBe(400);
    expect((await call('PUT', '/api/users/bob', { password: 12 })).status).toBe(400);
  });
  test("a user's permissions", async () => {
    expect((await call('GET', '/api/users/guest/permissions')).body).toEqual([
      { user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' },
    ]);
    expect((await call('GET', '/api/users/ghost/permissions')).status).toBe(404);
  });
});

describe('permissions', () => {
  test('set (201), update (204), get, lists, delete', async () => {
    expect((await call('PUT', '/api/permissions/%2F/mon', { configure: '', write: '^x', read: '.*' })).status).toBe(201);
    expect((await call('PUT', '/api/permissions/%2F/mon', { configure: '', write: '', read: '.*' })).status).toBe(204);
    expect((await call('GET', '/api/permissions/%2F/mon')).body).toEqual({ user: 'mon', vhost: '/', configure: '', write: '', read: '.*' });
    expect((await call('GET', '/api/permissions')).body).toHaveLength(3);
    expect((await call('GET', '/api/vhosts/%2F/permissions')).body.map((p: { user: string }) => p.user)).toEqual(['guest', 'mgmt', 'mon']);
    expect((await call('DELETE', '/api/permissions/%2F/mon')).status).toBe(204);
    expect((await call('GET', '/api/permissions/%2F/mon')).status).toBe(404);
    expect((await call('DELETE', '/api/permissions/%2F/mon')).status).toBe(404);
  });
  test('missing keys, bad regex, unknown vhost or user', async () => {
    expect((await call('PUT', '/api/permissions/%2F/mon', { configure: '.*', write: '.*' })).body).toEqual({
      error: 'bad_request',
      reason: '[{key_missing,read}]',
    });
    expect((await call('PUT', '/api/permissions/%2F/mon', { configure: '(', write: '', read: '' })).status).toBe(400);
    expect(await call('PUT', '/api/permissions/nope/mon', { configure: '', write: '', read: '' })).toMatchObject({ status: 404, body: { reason: 'vhost_not_found' } });
    expect(await call('PUT', '/api/permissions/%2F/ghost', { configure: '', write: '', read: '' })).toMatchObject({ status: 404, body: { reason: 'user_not_found' } });
    expect((await call('GET', '/api/vhosts/nope/permissions')).status).toBe(404);
  });
});
