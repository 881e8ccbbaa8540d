/**
 * Validation of RabbitMQ's queue arguments and of the expiration property: a value of the wrong type or out of
 * range closes the channel with 406 PRECONDITION_FAILED and RabbitMQ 3.10's exact text; boundary values that
 * RabbitMQ accepts are accepted. RabbitMQ 3.10 is the judge: every test here passes against it.
 *
 * amqplib encodes JS integers as the smallest signed AMQP type that holds them (-128..127 'b' = byte, then short,
 * signedint, long), other numbers as double and strings as longstr, which is why the texts name those types.
 */
import { Reply } from './support/codes';
import { cleanup, expectChannelClose, getOne, open, setupBroker, uniqueName } from './support/broker';

const broker = setupBroker();

/** `invalid arg` texts: RabbitMQ's rabbit_amqqueue:check_arguments. */
function invalidArg(arg: string, queue: string, reason: string): string {
  return `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${queue}' in vhost '/': ${reason}`;
}

type Case = [arg: string, value: unknown, reason: string];

const invalid: Case[] = [
  ['x-message-ttl', -1, '{value_negative,-1}'],
  ['x-message-ttl', 'abc', '"expected integer, got longstr"'],
  ['x-message-ttl', 1.5, '"expected integer, got double"'],
  ['x-message-ttl', true, '"expected integer, got bool"'],
  ['x-message-ttl', 315360000001, '{value_too_large,315360000001}'],
  ['x-expires', 0, '{value_zero,0}'],
  ['x-expires', -1, '{value_negative,-1}'],
  ['x-expires', 'abc', '"expected integer, got longstr"'],
  ['x-expires', 315360000001, '{value_too_large,315360000001}'],
  ['x-max-length', -1, '{value_negative,-1}'],
  ['x-max-length', 'x', '"expected integer, got longstr"'],
  ['x-max-length', 1.5, '"expected integer, got double"'],
  ['x-max-length-bytes', -1, '{value_negative,-1}'],
  ['x-max-length-bytes', 'x', '"expected integer, got longstr"'],
  ['x-max-priority', 256, '{max_value_exceeded,256}'],
  ['x-max-priority', 1000, '{max_value_exceeded,1000}'],
  ['x-max-priority', -1, '{value_negative,-1}'],
  ['x-max-priority', 'x', '"expected integer, got longstr"'],
  ['x-overflow', 'bogus', 'invalid_overflow'],
  ['x-overflow', 5, '{unacceptable_type,byte}'],
  ['x-overflow', 1000, '{unacceptable_type,short}'],
  ['x-overflow', true, '{unacceptable_type,bool}'],
  ['x-single-active-consumer', 'yes', '{unacceptable_type,longstr}'],
  ['x-single-active-consumer', 1, '{unacceptable_type,byte}'],
  ['x-queue-type', 'bogus', `"unsupported queue type 'bogus'"`],
  ['x-queue-type', 5, '{unacceptable_type,byte}'],
  ['x-queue-mode', 'bogus', `"unsupported queue mode 'bogus'"`],
  ['x-queue-mode', 5, '{unacceptable_type,byte}'],
  ['x-dead-letter-routing-key', 'rk', 'routing_key_but_no_dlx_defined'],
  ['x-dead-letter-routing-key', 5, '{unacceptable_type,byte}'],
];

describe('queue argument validation (RabbitMQ 3.10 texts)', () => {
  test.each(invalid)('queue.declare with %s = %p closes the channel with 406 ... %s', async (arg, value, reason) => {
    const { ch } = await open(broker.url);
    const q = uniqueName('args');
    await expectChannelClose(ch, () => ch.assertQueue(q, { durable: false, arguments: { [arg]: value } }), Reply.PRECONDITION_FAILED, invalidArg(arg, q, reason));
  });

  test('the failed declare names queue.declare as the cause and creates nothing (spec: channel.close class-id, method-id)', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('args');
    const info = await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: false, arguments: { 'x-max-priority': 256 } }),
      Reply.PRECONDITION_FAILED,
      invalidArg('x-max-priority', q, '{max_value_exceeded,256}'),
    );
    expect([info.classId, info.methodId]).toEqual([50, 10]);
    const { ch: other } = await open(broker.url);
    await expectChannelClose(other, () => other.checkQueue(q), Reply.NOT_FOUND, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  test.each([
    [5, 'byte'],
    [1000, 'short'],
    [true, 'bool'],
  ] as const)('x-dead-letter-exchange = %p closes the channel with 406 "invalid type \'%s\'" (its own text shape)', async (value, type) => {
    const { ch } = await open(broker.url);
    const q = uniqueName('args');
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: false, arguments: { 'x-dead-letter-exchange': value } }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid type '${type}' for arg 'x-dead-letter-exchange' in queue '${q}' in vhost '/'`,
    );
  });

  test('x-dead-letter-routing-key of the wrong type is reported as such even with a dead-letter exchange set', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('args');
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: false, arguments: { 'x-dead-letter-exchange': 'dlx', 'x-dead-letter-routing-key': 5 } }),
      Reply.PRECONDITION_FAILED,
      invalidArg('x-dead-letter-routing-key', q, '{unacceptable_type,byte}'),
    );
  });

  test.each([
    ['x-message-ttl', 0],
    ['x-message-ttl', 315360000000],
    ['x-expires', 1],
    ['x-max-length', 0],
    ['x-max-length-bytes', 0],
    ['x-max-priority', 0],
    ['x-max-priority', 255],
    ['x-overflow', 'drop-head'],
    ['x-overflow', 'reject-publish'],
    ['x-overflow', 'reject-publish-dlx'],
    ['x-single-active-consumer', true],
    ['x-single-active-consumer', false],
    ['x-queue-type', 'classic'],
    ['x-queue-mode', 'lazy'],
    ['x-queue-mode', 'default'],
    ['x-dead-letter-exchange', ''],
    ['x-dead-letter-exchange', 'declared-later-or-never'],
  ] as const)('queue.declare accepts %s = %p', async (arg, value) => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('args'));
    expect(await ch.assertQueue(q, { durable: false, arguments: { [arg]: value } })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  test('integer arguments accept every AMQP integer type, not only the one amqplib picks (RabbitMQ: check_int_arg)', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('args'));
    const args = {
      'x-message-ttl': { '!': 'long', value: 5000 },
      'x-max-length': { '!': 'unsignedint', value: 10 },
      'x-max-length-bytes': { '!': 'int', value: 1000 },
      'x-max-priority': { '!': 'unsignedbyte', value: 200 },
    };
    expect(await ch.assertQueue(q, { durable: false, arguments: args })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });

  test('a float-typed x-message-ttl is refused like a double (RabbitMQ: "expected integer, got float")', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('args');
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': { '!': 'float', value: 5 } } }),
      Reply.PRECONDITION_FAILED,
      invalidArg('x-message-ttl', q, '"expected integer, got float"'),
    );
  });
});

describe('quorum queue declaration (RabbitMQ 3.10 texts)', () => {
  test.each([
    ['non-durable', { durable: false }],
    ['exclusive-owner', { durable: true, exclusive: true }],
    ['auto-delete', { durable: true, autoDelete: true }],
  ] as const)('a quorum queue cannot be %s: 406 invalid property', async (property, options) => {
    const { ch } = await open(broker.url);
    const q = uniqueName('qq');
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { ...options, arguments: { 'x-queue-type': 'quorum' } }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid property '${property}' for queue '${q}' in vhost '/'`,
    );
  });

  test('x-max-priority is not a quorum queue argument: 406 naming the queue type', async () => {
    const { ch } = await open(broker.url);
    const q = uniqueName('qq');
    await expectChannelClose(
      ch,
      () => ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-max-priority': 5 } }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue '${q}' in vhost '/' of queue type rabbit_quorum_queue`,
    );
  });

  test('a durable quorum queue with x-delivery-limit, a dead-letter exchange and a message TTL is accepted', async () => {
    const { ch } = await open(broker.url);
    const q = cleanup.queue(uniqueName('qq'));
    const args = { 'x-queue-type': 'quorum', 'x-delivery-limit': 3, 'x-dead-letter-exchange': '', 'x-message-ttl': 1000 };
    expect(await ch.assertQueue(q, { durable: true, arguments: args })).toEqual({ queue: q, messageCount: 0, consumerCount: 0 });
  });
});

describe('expiration property validation (RabbitMQ 3.10 texts)', () => {
  test.each([
    ['abc', 'no_integer'],
    ['', 'no_integer'],
    [' 100', 'no_integer'],
    ['-1', '{value_negative,-1}'],
    ['1.5', '{leftover_string,".5"}'],
    ['1e3', '{leftover_string,"e3"}'],
    ['315360000001', '{value_too_large,315360000001}'],
  ])('basic.publish with expiration %p closes the channel with 406 ... %s', async (expiration, reason) => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    const info = await expectChannelClose(
      ch,
      () => ch.sendToQueue(q.queue, Buffer.from('x'), { expiration }),
      Reply.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid expiration '${expiration}': ${reason}`,
    );
    expect([info.classId, info.methodId]).toEqual([60, 40]);
  });

  test('expiration with leading zeros is accepted and delivered unchanged (RabbitMQ: parsed as an integer)', async () => {
    const { ch } = await open(broker.url);
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('x'), { expiration: '060000' });
    const m = await getOne(ch, q.queue);
    expect(m.properties.expiration).toBe('060000');
  });
});
