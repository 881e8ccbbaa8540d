import { startManagement } from './app';
import { buildFixture, GUEST } from './test-support/fixture';

describe('startManagement', () => {
  test('listens on each address with one port; real HTTP requests work; close stops it', async () => {
    const { app } = buildFixture();
    const server = await startManagement(app, { bind: ['127.0.0.1', '::1'], port: 0 });
    try {
      expect(server.addresses.length).toBeGreaterThanOrEqual(1);
      expect(server.addresses[0]).toBe(`127.0.0.1:${server.port}`);
      const res = await fetch(`http://127.0.0.1:${server.port}/api/queues/%2F/q`, {
        method: 'PUT',
        headers: { ...GUEST, 'content-type': 'application/json' },
        body: JSON.stringify({ durable: true }),
      });
      expect(res.status).toBe(201);
      const list = await fetch(`http://127.0.0.1:${server.port}/api/queues`, { headers: GUEST });
      expect(((await list.json()) as Array<{ name: string }>).map((q) => q.name)).toEqual(['q']);
      const denied = await fetch(`http://127.0.0.1:${server.port}/api/overview`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Basic realm="RabbitMQ Management"');
    } finally {
      await server.close();
    }
    await expect(fetch(`http://127.0.0.1:${server.port}/api/overview`)).rejects.toThrow();
  });

  test('a single address that cannot be bound fails', async () => {
    const { app } = buildFixture();
    await expect(startManagement(app, { bind: ['192.0.2.123'], port: 0 })).rejects.toThrow();
    await app.close();
  });
});
