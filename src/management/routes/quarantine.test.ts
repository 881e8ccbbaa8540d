import type { FastifyInstance } from 'fastify';
import { encodeBasicProperties } from '../../protocol/generated/amqp';
import { buildFixture, type Fixture } from '../test-support/fixture';
import { as, caller } from '../test-support/http';

let f: Fixture;
let app: FastifyInstance;

beforeEach(() => {
  f = buildFixture();
  app = f.app;
  f.vhosts.put({ name: 'v2', description: '', tags: [] });
});
afterEach(async () => {
  await app.close();
});

const call = caller(() => app);

function quarantine(vhost: string, reason: string, properties: Buffer, body: Buffer): void {
  f.store.quarantine({ vhost, queue: 'q', reason, at: 1_700_000_000_000, exchange: 'x', routingKey: 'rk', properties, body });
}

describe('GET /api/leveret/quarantine', () => {
  test('lists what was set aside, oldest first, with total; undecodable properties as base64 with the reason', async () => {
    quarantine('/', 'delivery failed twice: boom', encodeBasicProperties({ contentType: 'text/plain', headers: { a: 1 } }), Buffer.from('hello'));
    quarantine('v2', 'properties: truncated short string', Buffer.from([0x80, 0x00]), Buffer.from([0xff, 0x00]));
    const res = await call('GET', '/api/leveret/quarantine');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(2);
    expect(res.body.items).toEqual([
      {
        id: expect.any(Number), vhost: '/', queue: 'q', reason: 'delivery failed twice: boom', at: 1_700_000_000_000,
        exchange: 'x', routing_key: 'rk', properties: { content_type: 'text/plain', headers: { a: 1 } },
        payload_bytes: 5, payload: 'hello', payload_encoding: 'string',
      },
      {
        id: expect.any(Number), vhost: 'v2', queue: 'q', reason: 'properties: truncated short string', at: 1_700_000_000_000,
        exchange: 'x', routing_key: 'rk', properties: null, properties_base64: 'gAA=', properties_problem: 'properties: truncated short string',
        payload_bytes: 2, payload: '/wA=', payload_encoding: 'base64',
      },
    ]);
    expect((await call('GET', '/api/leveret/quarantine?limit=1')).body.items).toHaveLength(1);
    expect((await call('GET', '/api/leveret/quarantine?limit=0')).status).toBe(400);
  });

  test('per vhost, behind the vhost gate; the global list needs monitoring or administrator', async () => {
    quarantine('/', 'one', Buffer.alloc(0), Buffer.from('1'));
    quarantine('v2', 'two', Buffer.alloc(0), Buffer.from('2'));
    const mine = await call('GET', '/api/leveret/quarantine/%2F', undefined, as('mgmt'));
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ total: 1, items: [{ reason: 'one' }] });
    expect((await call('GET', '/api/leveret/quarantine/v2', undefined, as('mgmt'))).status).toBe(401);
    expect((await call('GET', '/api/leveret/quarantine', undefined, as('mgmt'))).status).toBe(401);
    expect((await call('GET', '/api/leveret/quarantine', undefined, as('mon'))).body.total).toBe(2);
    expect((await call('GET', '/api/leveret/quarantine/nope')).status).toBe(404);
  });
});
