import { as } from '../test-support/http';
import { useFixture } from '../test-support/use-fixture';

const fx = useFixture();
const call = fx.call;

describe('exchanges', () => {
  test('built-ins are listed; amq.default names the default exchange', async () => {
    const names = (await call('GET', '/api/exchanges/%2F')).body.map((x: { name: string }) => x.name);
    expect(names).toEqual(['', 'amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.topic']);
    expect((await call('GET', '/api/exchanges/%2F/amq.default')).body).toMatchObject({ name: '', type: 'direct', durable: true, incoming: [], outgoing: [] });
    expect((await call('GET', '/api/exchanges')).body).toHaveLength(6);
  });
  test('declare (201), redeclare (204), inequivalent (400), get, delete (204), 404', async () => {
    expect((await call('PUT', '/api/exchanges/%2F/x1', { type: 'topic', durable: false, arguments: { 'alternate-exchange': 'ae' } })).status).toBe(201);
    expect((await call('PUT', '/api/exchanges/%2F/x1', { type: 'topic', durable: false, arguments: { 'alternate-exchange': 'ae' } })).status).toBe(204);
    const bad = await call('PUT', '/api/exchanges/%2F/x1', { type: 'fanout', durable: false });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toContain("inequivalent arg 'type'");
    expect((await call('GET', '/api/exchanges/%2F/x1')).body).toEqual({
      name: 'x1',
      vhost: '/',
      type: 'topic',
      durable: false,
      auto_delete: false,
      internal: false,
      arguments: { 'alternate-exchange': 'ae' },
      user_who_performed_action: '',
      message_stats: expect.objectContaining({ publish_in: 0, publish_in_details: { rate: 0 } }),
      incoming: [],
      outgoing: [],
    });
    expect((await call('DELETE', '/api/exchanges/%2F/x1')).status).toBe(204);
    expect((await call('GET', '/api/exchanges/%2F/x1')).status).toBe(404);
    expect((await call('DELETE', '/api/exchanges/%2F/x1')).status).toBe(404);
  });
  test('type defaults to direct, unknown types and wrong field types are 400, amq.* is refused', async () => {
    // RabbitMQ: absent fields take exchange.declare's defaults (direct, not durable).
    expect((await call('PUT', '/api/exchanges/%2F/x2', {})).status).toBe(201);
    expect((await call('GET', '/api/exchanges/%2F/x2')).body).toMatchObject({ type: 'direct', durable: false, auto_delete: false, internal: false });
    expect((await call('DELETE', '/api/exchanges/%2F/x2')).status).toBe(204);
    expect((await call('PUT', '/api/exchanges/%2F/x2', { type: 'x-nope' })).status).toBe(400);
    expect((await call('PUT', '/api/exchanges/%2F/x2', { type: 'direct', durable: 'maybe' })).status).toBe(400);
    expect((await call('PUT', '/api/exchanges/%2F/x2', { type: 'direct', arguments: [1] })).status).toBe(400);
    expect(await call('PUT', '/api/exchanges/%2F/amq.mine', { type: 'direct' })).toMatchObject({ status: 401, body: { reason: 'Access refused.' } });
    expect((await call('DELETE', '/api/exchanges/%2F/amq.direct')).status).toBe(401);
  });
  test('if-unused', async () => {
    await call('PUT', '/api/exchanges/%2F/x3', { type: 'direct' });
    await call('PUT', '/api/queues/%2F/q3', {});
    await call('POST', '/api/bindings/%2F/e/x3/q/q3', { routing_key: 'k' });
    const res = await call('DELETE', '/api/exchanges/%2F/x3?if-unused=true');
    expect(res.status).toBe(400);
    expect(res.body.reason).toContain('in use');
    expect((await call('GET', '/api/exchanges/%2F/x3/bindings/source')).body).toMatchObject([{ source: 'x3', destination: 'q3', routing_key: 'k' }]);
    expect((await call('GET', '/api/exchanges/%2F/x3/bindings/destination')).body).toEqual([]);
    expect((await call('DELETE', '/api/exchanges/%2F/x3')).status).toBe(204);
  });
  test('unknown vhost -> 404', async () => {
    expect((await call('GET', '/api/exchanges/nope')).status).toBe(404);
    expect((await call('PUT', '/api/exchanges/nope/x', { type: 'direct' })).status).toBe(404);
    expect((await call('GET', '/api/exchanges/nope/x/bindings/source')).status).toBe(404);
  });
  test('the user needs configure permission', async () => {
    fx.f.access.setPermission({ user: 'mgmt', vhost: '/', configure: '^mine', write: '.*', read: '.*' });
    expect((await call('PUT', '/api/exchanges/%2F/mine.x', { type: 'direct' }, as('mgmt'))).status).toBe(201);
    expect(await call('PUT', '/api/exchanges/%2F/theirs', { type: 'direct' }, as('mgmt'))).toMatchObject({ status: 401, body: { reason: 'Access refused.' } });
  });
});
