/**
 * Interoperability with rabbitmqadmin, the Python CLI Debian's rabbitmq-server ships as /usr/bin/rabbitmqadmin
 * (it drives the management HTTP API): list, declare, publish, get and delete, parsing its raw_json and tsv output.
 * Needs the rabbitmq-server Debian package; run with `npm run test:interop`.
 *
 * The API's address: MANAGEMENT_URL when set (run-against-rabbitmq.sh sets it), else the Leveret the suite started.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { useBroker, uniqueName, type BrokerHandle } from '../support/broker';

const run = promisify(execFile);
const RABBITMQADMIN = '/usr/bin/rabbitmqadmin';

describe('rabbitmqadmin', () => {
  let broker: BrokerHandle;
  let host: string;
  let port: string;

  beforeAll(async () => {
    broker = await useBroker();
    const base = process.env.MANAGEMENT_URL || broker.httpUrl;
    if (base === undefined || base === '') {
      throw new Error(
        'rabbitmqadmin needs the management API: set MANAGEMENT_URL (http://host:port) when AMQP_URL points at an external broker',
      );
    }
    const url = new URL(base);
    host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    port = url.port || '15672';
  });
  afterAll(async () => {
    await broker?.close();
  });

  /** Runs rabbitmqadmin with the connection options; returns stdout. A non-zero exit fails with its stderr. */
  async function admin(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run(RABBITMQADMIN, ['-H', host, '-P', port, '-u', 'guest', '-p', 'guest', ...args], { timeout: 15000 });
      return stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string; stdout?: string };
      throw new Error(`rabbitmqadmin ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
    }
  }
  const json = async (...args: string[]): Promise<any[]> => JSON.parse(await admin('-f', 'raw_json', ...args)) as any[];
  /** tsv output: a header row, then one row per object. */
  const tsv = async (...args: string[]): Promise<Array<Record<string, string>>> => {
    const lines = (await admin('-f', 'tsv', ...args)).split('\n').filter((l) => l !== '');
    const [header, ...rows] = lines;
    const names = (header ?? '').split('\t');
    return rows.map((row) => Object.fromEntries(row.split('\t').map((v, i) => [names[i] ?? String(i), v])));
  };

  test('list vhosts and users', async () => {
    expect((await json('list', 'vhosts')).map((v) => v.name)).toContain('/');
    const guest = (await json('list', 'users')).find((u) => u.name === 'guest');
    expect(guest).toBeDefined();
    expect(guest.tags).toEqual(expect.arrayContaining(['administrator']));
    // The default columns of `list vhosts` in tsv form: name and messages.
    const vhosts = await tsv('list', 'vhosts');
    expect(vhosts.find((v) => v.name === '/')).toEqual({ name: '/', messages: expect.stringMatching(/^\d*$/) });
  });

  test('declare a queue, a topic exchange and a binding; publish; get; delete', async () => {
    const q = uniqueName('admin-q');
    const x = uniqueName('admin-x');
    try {
      await admin('declare', 'queue', `name=${q}`, 'durable=true');
      await admin('declare', 'exchange', `name=${x}`, 'type=topic');
      await admin('declare', 'binding', `source=${x}`, `destination=${q}`, 'routing_key=a.#');

      const queue = (await json('list', 'queues')).find((o) => o.name === q);
      expect(queue).toMatchObject({ name: q, vhost: '/', durable: true, auto_delete: false, exclusive: false });
      expect((await tsv('list', 'queues', 'name', 'durable')).find((o) => o.name === q)).toEqual({ name: q, durable: 'True' });

      const exchange = (await json('list', 'exchanges')).find((o) => o.name === x);
      expect(exchange).toMatchObject({ name: x, vhost: '/', type: 'topic', durable: true, auto_delete: false, internal: false });
      expect((await tsv('list', 'exchanges')).find((o) => o.name === x)).toEqual({ name: x, type: 'topic' });

      const bindings = (await json('list', 'bindings')).filter((b) => b.destination === q);
      expect(bindings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ source: '', destination: q, destination_type: 'queue', routing_key: q }),
          expect.objectContaining({ source: x, destination: q, destination_type: 'queue', routing_key: 'a.#' }),
        ]),
      );
      expect(bindings).toHaveLength(2);

      // `publish` goes to amq.default unless exchange= is given; it reports (verbose by default) whether the message was routed.
      expect(await admin('publish', `routing_key=${q}`, 'payload=hi')).toContain('Message published');
      expect(await admin('publish', `exchange=${x}`, 'routing_key=a.b.c', 'payload=via-topic')).toMatch(/^Message published\s*$/);
      expect(await admin('publish', `exchange=${x}`, 'routing_key=b.c', 'payload=lost')).toContain('NOT routed');

      // The default ackmode (ack_requeue_true) leaves the message in the queue, marked redelivered.
      const peek = await json('get', `queue=${q}`);
      expect(peek).toEqual([expect.objectContaining({ payload: 'hi', payload_encoding: 'string', redelivered: false, routing_key: q })]);

      const got = await json('get', `queue=${q}`, 'ackmode=ack_requeue_false', 'count=5');
      expect(got).toEqual([
        expect.objectContaining({
          payload: 'hi',
          payload_bytes: 2,
          payload_encoding: 'string',
          redelivered: true,
          exchange: '',
          routing_key: q,
          message_count: 1,
        }),
        expect.objectContaining({
          payload: 'via-topic',
          payload_bytes: 9,
          redelivered: false,
          exchange: x,
          routing_key: 'a.b.c',
          message_count: 0,
        }),
      ]);
      expect(await json('get', `queue=${q}`, 'ackmode=ack_requeue_false')).toEqual([]);

      await admin('delete', 'queue', `name=${q}`);
      expect((await json('list', 'queues')).map((o) => o.name)).not.toContain(q);
      await admin('delete', 'exchange', `name=${x}`);
      expect((await json('list', 'exchanges')).map((o) => o.name)).not.toContain(x);
    } finally {
      // Tidy up after a failure; rabbitmqadmin exits non-zero for what is already gone.
      await admin('delete', 'queue', `name=${q}`).catch(() => undefined);
      await admin('delete', 'exchange', `name=${x}`).catch(() => undefined);
    }
  });

  test('errors come back as rabbitmqadmin reports them', async () => {
    await expect(admin('get', `queue=${uniqueName('missing')}`)).rejects.toThrow(/Not found: \/api\/queues\/%2F\//);
    await expect(
      run(RABBITMQADMIN, ['-H', host, '-P', port, '-u', 'guest', '-p', 'wrong', 'list', 'queues'], { timeout: 15000 }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('Access refused') });
  });
});
