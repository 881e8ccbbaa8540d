/**
 * The vhost max-queues limit over AMQP: queue.declare of a new queue beyond it is 406 (blamed on queue.declare);
 * re-declaring an existing one works; queues declared elsewhere count.
 */
import { MethodId, ReplyCode } from '../protocol/generated/amqp';
import { FullAccessBroker as Broker, seedQueue } from './test-support/brokers';
import { channelClosed, declareOk, queueDeclare, reopen } from './test-support/frames';
import { queueDelete } from './test-support/harness';

function queueLimitText(queue: string, n: number, vhost = '/'): string {
  return `PRECONDITION_FAILED - cannot declare queue '${queue}': queue limit in vhost '${vhost}' (${n}) is reached`;
}


describe('Limits: vhost max-queues', () => {
  test('with max-queues 1 a second queue.declare is 406 (queue.declare); re-declaring the existing queue still works', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-queues': 1 });
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'q1'))).toEqual([declareOk('q1')]);
    expect(await c.call(queueDeclare(1, 'q2'))).toEqual([channelClosed(ReplyCode.PreconditionFailed, queueLimitText('q2', 1), MethodId.QueueDeclare)]);
    expect([...broker.root.queues.keys()]).toEqual(['q1']);
    await c.call(...reopen());
    expect(await c.call(queueDeclare(1, 'q1'), queueDeclare(1, 'q1', { passive: true }))).toEqual([declareOk('q1'), declareOk('q1')]);
    // Deleting the queue frees the slot.
    expect(await c.call(queueDelete(1, 'q1'))).toEqual([{ channel: 1, method: 'queue.delete-ok', args: { messageCount: 0 } }]);
    expect(await c.call(queueDeclare(1, 'q2'))).toEqual([declareOk('q2')]);
    await c.close();
  });

  test('queues declared elsewhere count; a server-named queue is refused under its generated name', async () => {
    const broker = new Broker();
    seedQueue(broker.root, 'theirs');
    broker.vhosts.setLimits('/', { 'max-queues': 1 });
    const c = broker.connect('guest');
    await c.ready();
    const [close, ...rest] = await c.call(queueDeclare(1, ''));
    expect(rest).toEqual([]);
    expect(close).toEqual(
      channelClosed(
        ReplyCode.PreconditionFailed,
        expect.stringMatching(/^PRECONDITION_FAILED - cannot declare queue 'amq\.gen-[A-Za-z0-9_-]+': queue limit in vhost '\/' \(1\) is reached$/) as unknown as string,
        MethodId.QueueDeclare,
      ),
    );
    expect([...broker.root.queues.keys()]).toEqual(['theirs']);
    await c.close();
  });

  test('max-queues 0 refuses every new queue, exclusive ones too; passive declare of an existing one works', async () => {
    const broker = new Broker();
    seedQueue(broker.root, 'pre');
    broker.vhosts.setLimits('/', { 'max-queues': 0 });
    const c = broker.connect('guest');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'q'))).toEqual([channelClosed(ReplyCode.PreconditionFailed, queueLimitText('q', 0), MethodId.QueueDeclare)]);
    await c.call(...reopen());
    expect(await c.call(queueDeclare(1, 'ex', { exclusive: true }))).toEqual([
      channelClosed(ReplyCode.PreconditionFailed, queueLimitText('ex', 0), MethodId.QueueDeclare),
    ]);
    await c.call(...reopen());
    expect(await c.call(queueDeclare(1, 'pre', { passive: true }))).toEqual([declareOk('pre')]);
    expect([...broker.root.queues.keys()]).toEqual(['pre']);
    await c.close();
  });

  test('the limit is per vhost and a negative limit is unlimited', async () => {
    const broker = new Broker();
    broker.vhosts.setLimits('/', { 'max-queues': 0 });
    broker.vhosts.setLimits('other', { 'max-queues': -1 });
    const c = broker.connect('guest', 'other');
    await c.ready();
    expect(await c.call(queueDeclare(1, 'a'), queueDeclare(1, 'b'), queueDeclare(1, 'c'))).toEqual([declareOk('a'), declareOk('b'), declareOk('c')]);
    await c.close();
  });
});
