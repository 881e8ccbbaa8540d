/**
 * Field-table type octets as RabbitMQ reads them (deps/rabbit_common/src/rabbit_binary_parser.erl): besides the
 * types amqplib writes, 'L' is read as a signed 64-bit integer like 'l' (py-amqp, under Celery and kombu, writes
 * integers beyond 32 bits as 'L'), and 'U' is not read at all. A message whose headers hold 'L' values is taken and
 * delivered with its property bytes as published; dead-lettering, where RabbitMQ re-encodes the headers, gives them
 * back as 'l' with the same eight bytes. A queue argument may be an 'L'. Every case here was probed against
 * RabbitMQ 3.10 and the file runs against it too.
 */
import { Reply } from './support/codes';
import { cleanup, setupBroker, uniqueName } from './support/broker';
import { MethodId, type RawClient } from './support/raw';
import { declare, entry, getEventually, get, hex, methodFrame, nextProperties, publishFrames, rawClients, table, shortstr } from './support/raw-bytes';

const broker = setupBroker();
const rawConnected = rawClients(() => broker.url);
const publish = (queue: string, properties: Buffer, body = Buffer.from('field types')): Buffer[] => publishFrames(queue, properties, body);

/** An 'L' value (type octet included) of the 8 bytes given in hex. */
const L = (bytes: string): Buffer => Buffer.concat([Buffer.from('L'), hex(bytes)]);

/** Headers entries py-amqp would write for big integers, and one in a nested table and an array. */
const L_ENTRIES = [
  entry('big', L('00000100 00000000')), // 2^40
  entry('minus-one', L('ffffffff ffffffff')), // read as signed: -1
  entry('max', L('7fffffff ffffffff')),
  entry('nested', Buffer.concat([Buffer.from('F'), table(entry('inner', L('00000002 00000000')))])),
  entry('list', Buffer.concat([Buffer.from('A'), hex('00000012'), L('00000000 00000007'), L('80000000 00000000')])),
];

/** Properties: headers only. */
function headersOnly(...entries: Buffer[]): Buffer {
  return Buffer.concat([hex('2000'), table(...entries)]);
}

/** queue.declare (not durable, not nowait) with the arguments table's bytes as given. */
function declareFrame(queue: string, argumentsTable: Buffer, passive = false): Buffer {
  return methodFrame(1, 50, 10, Buffer.concat([hex('0000'), shortstr(queue), Buffer.from([passive ? 1 : 0]), argumentsTable]));
}

/** The declare-ok's message count, from queue.declare passive. */
async function messageCount(r: RawClient, queue: string): Promise<number> {
  r.sendMethod(1, MethodId.QueueDeclare, { queue, passive: true, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: {} });
  const ok = await r.expectMethod(MethodId.QueueDeclareOk);
  return ok.messageCount as number;
}

describe("'L' in message headers (RabbitMQ reads it as a signed 64-bit integer)", () => {
  test('the connection stays open and a consumer gets the property bytes as published', async () => {
    const queue = cleanup.queue(uniqueName('ftypes.L'));
    const r = await rawConnected();
    await declare(r, queue);
    const properties = headersOnly(...L_ENTRIES);
    r.write(publish(queue, properties));
    r.sendMethod(1, MethodId.BasicConsume, { queue, consumerTag: 'c', noLocal: false, noAck: true, exclusive: false, noWait: false, arguments: {} });
    await r.expectMethod(MethodId.BasicConsumeOk);
    await r.expectMethod(MethodId.BasicDeliver);
    expect((await nextProperties(r)).equals(properties)).toBe(true);
    // still open: a synchronous method is answered
    expect(await messageCount(r, queue)).toBe(0);
    expect(r.isClosed).toBe(false);
  });

  test('basic.get returns them unchanged too', async () => {
    const queue = cleanup.queue(uniqueName('ftypes.Lget'));
    const r = await rawConnected();
    await declare(r, queue);
    const properties = Buffer.concat([hex('a000'), shortstr('text/plain'), table(...L_ENTRIES)]);
    r.write(publish(queue, properties));
    expect(await getEventually(r, queue)).not.toBe('empty');
    expect((await nextProperties(r)).equals(properties)).toBe(true);
  });

  test("dead-lettered: the headers are written anew, each 'L' as 'l' with the same eight bytes; x-death is added", async () => {
    const dlq = cleanup.queue(uniqueName('ftypes.dlq'));
    const queue = cleanup.queue(uniqueName('ftypes.ttl'));
    const r = await rawConnected();
    await declare(r, dlq);
    await declare(r, queue, { 'x-message-ttl': 0, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
    r.write(publish(queue, headersOnly(...L_ENTRIES)));
    expect(await getEventually(r, dlq)).not.toBe('empty');
    const copy = await nextProperties(r);
    expect(copy.includes(Buffer.from('x-death'))).toBe(true);
    expect(copy.includes(entry('big', hex('6c 00000100 00000000')))).toBe(true);
    expect(copy.includes(entry('minus-one', hex('6c ffffffff ffffffff')))).toBe(true);
    expect(copy.includes(entry('max', hex('6c 7fffffff ffffffff')))).toBe(true);
    expect(copy.includes(entry('inner', hex('6c 00000002 00000000')))).toBe(true);
    expect(copy.includes(hex('00000012 6c 00000000 00000007 6c 80000000 00000000'))).toBe(true);
    expect(copy.includes(Buffer.from([0x4c]))).toBe(false);
  });
});

describe("'L' in method arguments", () => {
  test("queue.declare with x-max-length as an 'L' applies the limit, and redeclaring it as 'l' or 'I' is equivalent", async () => {
    const queue = cleanup.queue(uniqueName('ftypes.maxlen'));
    const r = await rawConnected();
    r.write(declareFrame(queue, table(entry('x-max-length', L('00000000 00000001')))));
    await r.expectMethod(MethodId.QueueDeclareOk);
    r.write(publish(queue, hex('0000'), Buffer.from('first')));
    r.write(publish(queue, hex('0000'), Buffer.from('second')));
    for (let i = 0; i < 50 && (await messageCount(r, queue)) !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await messageCount(r, queue)).toBe(1);
    r.write(declareFrame(queue, table(entry('x-max-length', hex('6c 00000000 00000001')))));
    await r.expectMethod(MethodId.QueueDeclareOk);
    r.write(declareFrame(queue, table(entry('x-max-length', hex('49 00000001')))));
    await r.expectMethod(MethodId.QueueDeclareOk);
    expect(r.isClosed).toBe(false);
  });
});

describe("'U' is not read (RabbitMQ's parser has no clause for it)", () => {
  test('in message headers: connection.close 541, nothing enqueued', async () => {
    const queue = cleanup.queue(uniqueName('ftypes.U'));
    const r = await rawConnected();
    await declare(r, queue);
    r.write(publish(queue, headersOnly(entry('k', hex('55 0001')))));
    const close = await r.expectConnectionClose();
    expect(close.replyCode).toBe(Reply.INTERNAL_ERROR);
    expect([close.classId, close.methodId]).toEqual([0, 0]);
    const check = await rawConnected();
    expect(await get(check, queue)).toBe('empty');
  });

  test('in queue.declare arguments: the connection ends (RabbitMQ 3.10 drops the socket), no queue is made', async () => {
    const queue = cleanup.queue(uniqueName('ftypes.Uarg'));
    const r = await rawConnected();
    r.write(declareFrame(queue, table(entry('x-max-length', hex('55 0001')))));
    const end = await r.expectConnectionEnd();
    if (end !== 'socket-closed') expect([Reply.FRAME_ERROR, Reply.SYNTAX_ERROR]).toContain(end.replyCode);
    const check = await rawConnected();
    check.write(declareFrame(queue, table(), true));
    expect((await check.expectChannelClose(1)).replyCode).toBe(Reply.NOT_FOUND);
  });
});
