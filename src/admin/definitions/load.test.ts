import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { AccessControl } from '../../auth/access';
import { startBroker } from '../../broker';
import { MemoryStore } from '../../store/memory';
import { VhostRegistry } from '../../vhost/registry';
import { loadDefinitionsFile, type DefinitionsTarget } from '.';

const FIXTURE_PATH = join(__dirname, 'test-support', 'rabbitmq-3.10-definitions.json');

/** An empty broker state: a memory store, its registry and access control. */
function fresh(): DefinitionsTarget & { access: AccessControl } {
  const store = new MemoryStore();
  return { store, access: new AccessControl(store, new Set()), vhosts: new VhostRegistry(store) };
}

describe('loadDefinitions (boot-time import)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leveret-defs-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  test('imports the file and reports what it applied', () => {
    const f = fresh();
    const summary = loadDefinitionsFile(f, FIXTURE_PATH);
    expect(summary).toEqual({
      vhosts: 2,
      users: 3,
      permissions: 5,
      topicPermissions: 1,
      parameters: 1,
      globalParameters: 1,
      policies: 1,
      exchanges: 4,
      queues: 5,
      bindings: 8,
    });
    expect(f.access.authenticate('bob', 'bob pass 2')?.name).toBe('bob');
  });

  test('a missing file, invalid JSON or a failing import is an Error naming the file and the problem', () => {
    const f = fresh();
    const missing = join(dir, 'missing.json');
    expect(() => loadDefinitionsFile(f, missing)).toThrow(`cannot load definitions from ${missing}: no such file`);
    expect(() => loadDefinitionsFile(f, dir)).toThrow(`cannot load definitions from ${dir}: it is a directory`);
    const bad = write('bad.json', '{"users": [');
    expect(() => loadDefinitionsFile(f, bad)).toThrow(new RegExp(`^cannot load definitions from ${bad}: not valid JSON \\(`));
    const wrong = write('wrong.json', JSON.stringify({ queues: [{ name: 'q', vhost: 'nowhere' }] }));
    expect(() => loadDefinitionsFile(f, wrong)).toThrow(
      `cannot load definitions from ${wrong}: queue 'q': vhost 'nowhere' does not exist`,
    );
    const typed = write('typed.json', JSON.stringify({ exchanges: [{ name: 'x', vhost: '/', type: 'direct', durable: 1 }] }));
    expect(() => loadDefinitionsFile(f, typed)).toThrow(`cannot load definitions from ${typed}: exchanges[0].durable must be true or false, got 1`);
  });

  test('with loadDefinitions the first start creates no default guest user or / vhost (as RabbitMQ)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leveret-defs-'));
    const file = join(dir, 'defs.json');
    writeFileSync(
      file,
      JSON.stringify({
        vhosts: [{ name: 'only' }],
        users: [{ name: 'ops', password: 'ops-pw', tags: 'administrator' }],
        permissions: [{ user: 'ops', vhost: 'only', configure: '.*', write: '.*', read: '.*' }],
      }),
    );
    const broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent', loadDefinitions: file });
    try {
      await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}/`)).rejects.toThrow(/ACCESS_REFUSED|403/);
      const connection = await amqp.connect(`amqp://ops:ops-pw@127.0.0.1:${broker.port}/only`);
      await connection.close();
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('startBroker({ loadDefinitions }) imports at start; an imported user connects over AMQP', async () => {
    const broker = await startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, http: { bind: ['127.0.0.1'], port: 0 }, logLevel: 'silent', loadDefinitions: FIXTURE_PATH });
    try {
      const connection = await amqp.connect(`amqp://alice:alice-secret@127.0.0.1:${broker.port}/orders`);
      try {
        const channel = await connection.createChannel();
        expect(await channel.checkQueue('orders.created')).toMatchObject({ queue: 'orders.created', messageCount: 0 });
        await channel.checkExchange('events');
        channel.publish('events', 'order.created.1', Buffer.from('hello'));
        const got = await waitFor(async () => channel.get('orders.created', { noAck: true }));
        expect(got && got.content.toString()).toBe('hello');
      } finally {
        await connection.close();
      }
      await expect(amqp.connect(`amqp://alice:wrong@127.0.0.1:${broker.port}/orders`)).rejects.toThrow();
    } finally {
      await broker.close();
    }
  });

  test('startBroker with a bad definitions file fails with a message naming it', async () => {
    const bad = write('bad.json', '{');
    await expect(startBroker({ port: 0, amqp: { bind: ['127.0.0.1'] }, logLevel: 'silent', loadDefinitions: bad })).rejects.toThrow(
      `cannot load definitions from ${bad}: not valid JSON`,
    );
  });
});

async function waitFor<T>(poll: () => Promise<T | false>, timeoutMs = 2000): Promise<T | false> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await poll();
    if (value !== false || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

