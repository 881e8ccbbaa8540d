import { afterEach, describe, expect, it } from '@jest/globals';
import type { HaView } from './node';
import { startStandbyHttp } from './standby-http';
import { freePort } from '../test-support/postgres';

const now = Date.now();
const view: HaView = {
  node: 'n2',
  role: 'standby',
  epoch: 0,
  leader: { node: 'n1', amqp: '127.0.0.1:5672', http: '127.0.0.1:15672', since: now - 60_000 },
  nodes: [
    { name: 'n1', role: 'active', amqp: '127.0.0.1:5672', http: '127.0.0.1:15672', startedAt: now - 120_000, seenAt: now - 500 },
    { name: 'n2', role: 'standby', amqp: '127.0.0.1:5673', http: '127.0.0.1:15673', startedAt: now - 30_000, seenAt: now - 200 },
    { name: 'n3', role: 'standby', amqp: '127.0.0.1:5674', http: '127.0.0.1:15674', startedAt: now - 300_000, seenAt: now - 60_000 },
  ],
  leaseMs: 5000,
  takeovers: 0,
  lastTakeoverMs: 0,
};

describe('a standby node answers HTTP with what it is and who is active', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function start(): Promise<string> {
    const port = await freePort();
    const server = await startStandbyHttp({
      host: '127.0.0.1',
      port,
      status: () => view,
      authenticate: async (user, password) => user === 'monitor' && password === 'secret',
    });
    close = () => server.close();
    return `http://127.0.0.1:${port}`;
  }

  it('GET /api/leveret/ha: role, leader and every node, without authentication', async () => {
    const base = await start();
    const res = await fetch(`${base}/api/leveret/ha`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ node: 'n2', role: 'standby', epoch: 0, lease_ms: 5000 });
    expect(body.leader).toMatchObject({ node: 'n1', amqp: '127.0.0.1:5672', http: '127.0.0.1:15672' });
    expect((body.nodes as Array<{ name: string; leveret_role: string; running: boolean }>).map((n) => [n.name, n.leveret_role, n.running])).toEqual([
      ['n1', 'active', true],
      ['n2', 'standby', true],
      ['n3', 'standby', false],
    ]);
  });

  it('health checks fail with the active node named, so a load balancer sends traffic there', async () => {
    const base = await start();
    for (const path of ['/api/health/checks/alarms', '/api/health/checks/ready-to-serve-clients', '/api/health/checks/port-listener/5672']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string; reason: string };
      expect(body.status).toBe('failed');
      expect(body.reason).toBe('node n2 is a standby; the active node is n1 (AMQP 127.0.0.1:5672, HTTP 127.0.0.1:15672)');
    }
  });

  it('GET /api/nodes needs a monitoring login and lists every node with its role', async () => {
    const base = await start();
    expect((await fetch(`${base}/api/nodes`)).status).toBe(401);
    const bad = await fetch(`${base}/api/nodes`, { headers: { authorization: `Basic ${Buffer.from('monitor:wrong').toString('base64')}` } });
    expect(bad.status).toBe(401);
    const auth = { authorization: `Basic ${Buffer.from('monitor:secret').toString('base64')}` };
    const res = await fetch(`${base}/api/nodes`, { headers: auth });
    expect(res.status).toBe(200);
    const rows = (await res.json()) as Array<{ name: string; leveret_role: string }>;
    expect(rows.map((r) => `${r.name}:${r.leveret_role}`)).toEqual(['n1:active', 'n2:standby', 'n3:standby']);
    const one = await fetch(`${base}/api/nodes/n1`, { headers: auth });
    expect(((await one.json()) as { leveret_amqp: string }).leveret_amqp).toBe('127.0.0.1:5672');
    expect((await fetch(`${base}/api/nodes/nope`, { headers: auth })).status).toBe(404);
    const malformed = await fetch(`${base}/api/nodes/%E0%A4%A`, { headers: auth });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: 'bad_request', reason: 'malformed percent-encoding in the path' });
  });

  it('everything else is 503 in RabbitMQ\'s error shape, writes included', async () => {
    const base = await start();
    const get = await fetch(`${base}/api/queues`);
    expect(get.status).toBe(503);
    expect(await get.json()).toEqual({ error: 'standby', reason: 'node n2 is a standby; the active node is n1 (AMQP 127.0.0.1:5672, HTTP 127.0.0.1:15672)' });
    const put = await fetch(`${base}/api/queues/%2F/q`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(put.status).toBe(503);
  });

  it('closes and frees its port', async () => {
    const base = await start();
    await close?.();
    close = undefined;
    await expect(fetch(`${base}/api/leveret/ha`)).rejects.toThrow();
  });
});

