import { createHash } from 'node:crypto';
import { DefinitionsError, importDefinitions } from '../../admin/definitions';
import { basic, GUEST } from '../test-support/fixture';
import { useFixtures } from '../test-support/use-fixture';

const { fresh, call } = useFixtures();

describe('import errors', () => {
  test('a wrong type -> 400 naming the key, and nothing is applied', async () => {
    const f = fresh();
    const res = await call(f, 'POST', '/api/definitions', {
      vhosts: [{ name: 'early' }],
      queues: [{ name: 'q1', vhost: '/' }, { name: 'q2', vhost: '/', durable: 'yes' }],
    });
    expect(res).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(res.body.reason).toBe('queues[1].durable must be true or false, got "yes"');
    expect(f.vhosts.get('early')).toBeUndefined();

    const cases: Array<[unknown, RegExp]> = [
      [{ users: {} }, /^users must be an array/],
      [{ users: [1] }, /^users\[0\] must be an object/],
      [{ users: [{ name: 'x', tags: 5 }] }, /^users\[0\]\.tags must be a comma-separated string or an array/],
      [{ users: [{ name: 'x', password_hash: 'abc', hashing_algorithm: 'rot13' }] }, /unknown hashing algorithm 'rot13'/],
      [{ users: [{ name: 'x', limits: { 'max-queues': 1 } }] }, /^users\[0\]\.limits: unknown limit "max-queues"/],
      [{ permissions: [{ user: 'guest', vhost: '/', configure: '.*', write: '.*' }] }, /^permissions\[0\]\.read is missing$/],
      [{ exchanges: [{ name: 'x', vhost: '/' }] }, /^exchanges\[0\]\.type is missing$/],
      [{ exchanges: [{ name: 'x', vhost: '/', type: 'direct', arguments: [] }] }, /^exchanges\[0\]\.arguments must be an object/],
      [{ bindings: [{ source: 'a', vhost: '/', destination: 'b', destination_type: 'topic' }] }, /destination_type must be "queue" or "exchange"/],
      [{ policies: [{ vhost: '/', name: 'p', pattern: '(', definition: {} }] }, /^policies\[0\]\.pattern is not a valid regular expression/],
      [{ policies: [{ vhost: '/', name: 'p', pattern: '.', definition: {}, priority: '1' }] }, /^policies\[0\]\.priority must be an integer/],
      [{ policies: [{ vhost: '/', name: 'p', pattern: '.', definition: {}, 'apply-to': 'everything' }] }, /apply-to must be one of/],
      [{ parameters: [{ vhost: '/', component: 'vhost-limits', name: 'limits', value: 'lots' }] }, /^parameters\[0\]\.value must be an object/],
      [{ global_parameters: [{ name: 'g' }] }, /^global_parameters\[0\]\.value is missing$/],
    ];
    for (const [body, reason] of cases) {
      const r = await call(f, 'POST', '/api/definitions', body);
      expect({ body, status: r.status, error: r.body?.error }).toEqual({ body, status: 400, error: 'bad_request' });
      expect(r.body.reason).toMatch(reason);
    }
    expect((await call(f, 'POST', '/api/definitions', '[1]')).body).toEqual({ error: 'bad_request', reason: 'not_json' });
  });

  test("the web UI's multipart upload imports the file field, decoded as a JSON body is (nesting bound included)", async () => {
    const f = fresh();
    const upload = async (file: string | undefined) => {
      const part = file === undefined ? '' : `--b\r\nContent-Disposition: form-data; name="file"; filename="d.json"\r\nContent-Type: application/json\r\n\r\n${file}\r\n`;
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/definitions',
        headers: { ...GUEST, 'content-type': 'multipart/form-data; boundary=b' },
        payload: `${part}--b--\r\n`,
      });
      return { status: res.statusCode, body: res.body === '' ? undefined : (JSON.parse(res.body) as { error: string; reason: string }) };
    };
    const queue = { name: 'uploaded', vhost: '/', durable: true, auto_delete: false, arguments: {} };
    expect(await upload(JSON.stringify({ queues: [queue] }))).toEqual({ status: 204, body: undefined });
    expect(f.vhosts.get('/')?.queues.has('uploaded')).toBe(true);
    expect((await upload(undefined)).status).toBe(400);
    expect(await upload('[1]')).toEqual({ status: 400, body: { error: 'bad_request', reason: 'not_json' } });
    const deep = `{"x":${'['.repeat(150)}${']'.repeat(150)}}`;
    expect(await upload(deep)).toEqual({ status: 400, body: { error: 'bad_request', reason: 'the request body is nested deeper than 100 levels' } });
  });

  test('an inequivalent entity -> 400 with the reason; what came before it stays, as in RabbitMQ', async () => {
    const f = fresh();
    await call(f, 'PUT', '/api/queues/%2F/jobs', { durable: true });
    const res = await call(f, 'POST', '/api/definitions', {
      exchanges: [{ name: 'first', vhost: '/', type: 'fanout' }],
      queues: [{ name: 'jobs', vhost: '/', durable: false }],
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'bad_request',
      reason: "inequivalent arg 'durable' for queue 'jobs' in vhost '/': received 'false' but current is 'true'",
    });
    expect(f.vhosts.get('/')?.exchanges.has('first')).toBe(true);

    await call(f, 'PUT', '/api/exchanges/%2F/x', { type: 'direct' });
    const x = await call(f, 'POST', '/api/definitions', { exchanges: [{ name: 'x', vhost: '/', type: 'topic' }] });
    expect(x.body.reason).toMatch(/^inequivalent arg 'type' for exchange 'x' in vhost '\/'/);
  });

  test('missing vhosts, users, queues and exchanges are named', async () => {
    const f = fresh();
    const reason = async (body: unknown): Promise<string> => (await call(f, 'POST', '/api/definitions', body)).body.reason;
    expect(await reason({ permissions: [{ user: 'ghost', vhost: '/', configure: '', write: '', read: '' }] })).toBe(
      "permissions of user 'ghost' in vhost '/': user 'ghost' does not exist",
    );
    expect(await reason({ queues: [{ name: 'q', vhost: 'nowhere' }] })).toBe("queue 'q': vhost 'nowhere' does not exist");
    expect(await reason({ bindings: [{ source: 'amq.direct', vhost: '/', destination: 'nope', destination_type: 'queue', routing_key: 'k' }] })).toBe(
      "no queue 'nope' in vhost '/'",
    );
    expect(await reason({ permissions: [{ user: 'guest', vhost: '/', configure: '(', write: '', read: '' }] })).toMatch(
      /^permissions of user 'guest' in vhost '\/': invalid configure permission expression/,
    );
  });

  test('unknown keys are ignored; tags may be a comma string; amq.* exchanges are skipped; plain passwords are hashed', async () => {
    const f = fresh();
    const res = await call(f, 'POST', '/api/definitions', {
      something_new: [1, 2],
      vhosts: [{ name: 'v2', description: 'two', tags: 'a, b', default_queue_type: 'classic', unknown: true }],
      users: [
        { name: 'carol', password: 'carol-pw', tags: 'management,policymaker', extra: 1 },
        { name: 'dave', password_hash: '', tags: [] },
      ],
      exchanges: [{ name: 'amq.direct', vhost: 'v2', type: 'fanout' }, { name: 'amq.custom', vhost: 'v2', type: 'direct' }],
    });
    expect(res.status).toBe(204);
    expect(f.vhosts.record('v2')).toEqual({ name: 'v2', description: 'two', tags: ['a', 'b'], defaultQueueType: 'classic' });
    expect(f.access.getUser('carol')?.tags).toEqual(['management', 'policymaker']);
    expect(f.access.authenticate('carol', 'carol-pw')?.name).toBe('carol');
    expect(f.access.authenticate('dave', '')).toBeUndefined();
    expect(f.vhosts.get('v2')?.exchanges.get('amq.direct')?.type.name).toBe('direct');
    expect(f.vhosts.get('v2')?.exchanges.has('amq.custom')).toBe(false);
  });

  test('pre-3.6 files without hashing_algorithm are MD5', () => {
    const f = fresh();
    // base64(salt ++ md5(salt ++ "secret")) with salt 01020304
    const salt = Buffer.from([1, 2, 3, 4]);
    const hash = Buffer.concat([salt, createHash('md5').update(salt).update('secret').digest()]).toString('base64');
    importDefinitions(f, { rabbit_version: '3.5.7', users: [{ name: 'old', password_hash: hash, tags: '' }] });
    expect(f.access.getUser('old')?.hashingAlgorithm).toBe('rabbit_password_hashing_md5');
    expect(f.access.authenticate('old', 'secret')?.name).toBe('old');
    importDefinitions(f, { rabbit_version: '3.10.8', users: [{ name: 'new', password_hash: hash }] });
    expect(f.access.getUser('new')?.hashingAlgorithm).toBe('rabbit_password_hashing_sha256');
  });

  test('administrators only; other verbs -> 405', async () => {
    const f = fresh();
    expect((await call(f, 'GET', '/api/definitions', undefined, { authorization: basic('mgmt', 'mgmt') })).body).toEqual({
      error: 'not_authorised',
      reason: 'Not administrator user',
    });
    expect((await call(f, 'POST', '/api/definitions/%2F', {}, { authorization: basic('mon', 'mon') })).status).toBe(401);
    const put = await call(f, 'PUT', '/api/definitions', {});
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    expect((await call(f, 'POST', '/api/definitions', '')).status).toBe(204);
  });

  test('importDefinitions throws DefinitionsError', () => {
    const f = fresh();
    expect(() => importDefinitions(f, 'nope')).toThrow(DefinitionsError);
    expect(() => importDefinitions(f, 'nope')).toThrow('the definitions must be a JSON object');
  });
});
