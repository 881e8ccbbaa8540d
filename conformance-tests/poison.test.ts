/**
 * Input a broker must neither crash on nor change: short strings that are not UTF-8, content-header properties that
 * cannot be decoded, and properties that can be decoded but hold values JavaScript represents differently (a
 * timestamp beyond a Date, a 'b' integer, strings of invalid UTF-8). Each behaviour here was probed against
 * RabbitMQ 3.10 and the suite runs against it too: method short strings of invalid UTF-8 are refused with
 * 501 FRAME_ERROR, undecodable properties with 541 INTERNAL_ERROR (both naming no method), and every decodable
 * value reaches consumers byte for byte, through basic.get, dead-lettering and requeue alike.
 */
import { Reply } from './support/codes';
import { channel, cleanup, connect, setupBroker, uniqueName } from './support/broker';
import { MethodId } from './support/raw';
import { declare, entry, get, getEventually, hex, methodFrame, nextMethodFrame, nextProperties, publishFrames, rawClients, shortstr, table } from './support/raw-bytes';
import { encodeBodyFrame, encodeHeaderFrame } from '../src/protocol/frames';
import { ClassId } from '../src/protocol/generated/amqp';

const broker = setupBroker();
const rawConnected = rawClients(() => broker.url);
const publish = (routingKey: Buffer, properties: Buffer, body = Buffer.from('poison')): Buffer[] => publishFrames(routingKey, properties, body);

const NOT_UTF8 = Buffer.alloc(90, 0xff);

/** Header entries whose values decode to something JavaScript would write back differently. */
const ODD_ENTRIES = [
  entry('b', hex('62 ff')), // a signed 8-bit integer
  entry('t', hex('54 00ffffffffffffff')), // a timestamp beyond what a Date holds
  entry(hex('fffe'), hex('53 00000002 c328')), // a key and a longstr of invalid UTF-8
  entry('s', hex('73 8000')), // a signed 16-bit integer
];

/** content-type of invalid UTF-8, the odd headers, a timestamp property of 2^64-1. */
function oddProperties(deliveryMode = 1): Buffer {
  return Buffer.concat([hex('b040'), shortstr(hex('fffe')), table(...ODD_ENTRIES), Buffer.from([deliveryMode]), hex('ffffffffffffffff')]);
}

describe('method short strings that are not UTF-8 (RabbitMQ: 501 "Malformed UTF-8 in shortstr")', () => {
  const refused = { replyCode: Reply.FRAME_ERROR, replyText: 'FRAME_ERROR - Malformed UTF-8 in shortstr', classId: 0, methodId: 0 };

  test('a no-wait basic.consume with a consumer tag of 90 x 0xFF on a non-empty queue closes that connection only; the message stays', async () => {
    const queue = cleanup.queue(uniqueName('poison.ctag'));
    const setup = await rawConnected();
    await declare(setup, queue);
    setup.write(publish(Buffer.from(queue), hex('0000'), Buffer.from('kept')));
    const r = await rawConnected();
    r.write(methodFrame(1, 60, 20, Buffer.concat([hex('0000'), shortstr(Buffer.from(queue)), shortstr(NOT_UTF8), hex('02'), table()])));
    expect(await r.expectConnectionClose()).toEqual(refused);
    const ok = await get(setup, queue);
    expect(ok).not.toBe('empty');
    await setup.close();
  });

  test.each([
    ['queue.declare', (name: Buffer) => methodFrame(1, 50, 10, Buffer.concat([hex('0000'), shortstr(name), hex('00'), table()]))],
    ['exchange.declare', (name: Buffer) => methodFrame(1, 40, 10, Buffer.concat([hex('0000'), shortstr(name), shortstr(Buffer.from('direct')), hex('00'), table()]))],
    ['queue.bind (routing key)', (name: Buffer) => methodFrame(1, 50, 20, Buffer.concat([hex('0000'), shortstr(Buffer.from('q')), shortstr(Buffer.from('amq.direct')), shortstr(name), hex('00'), table()]))],
    ['basic.get', (name: Buffer) => methodFrame(1, 60, 70, Buffer.concat([hex('0000'), shortstr(name), hex('00')]))],
  ])('%s with a name of invalid UTF-8 closes the connection with 501', async (_name, frame) => {
    const r = await rawConnected();
    r.write(frame(Buffer.concat([Buffer.from('q'), hex('ff fe 80')])));
    expect(await r.expectConnectionClose()).toEqual(refused);
  });

  test('a short name of invalid UTF-8 is never stored in a changed form: publishing to it routes nowhere', async () => {
    const r = await rawConnected();
    r.write(methodFrame(1, 50, 10, Buffer.concat([hex('0000'), shortstr(hex('71 ff')), hex('00'), table()])));
    expect((await r.expectConnectionClose()).replyCode).toBe(Reply.FRAME_ERROR);
    const check = await rawConnected();
    check.sendMethod(1, MethodId.QueueDeclare, { queue: 'q\ufffd', passive: true, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: {} });
    expect((await check.expectChannelClose(1)).replyCode).toBe(Reply.NOT_FOUND);
  });
});

describe("basic.publish's exchange and routing key are any bytes (RabbitMQ checks neither, and echoes them)", () => {
  test.each([
    ['a short key of invalid UTF-8', hex('71 ff fe 80')],
    ['255 bytes of 0xFF', Buffer.alloc(255, 0xff)],
  ])('%s reaches a fanout queue and comes back byte for byte in basic.get-ok and basic.deliver', async (_name, key) => {
    const queue = cleanup.queue(uniqueName('poison.rk'));
    const r = await rawConnected();
    await declare(r, queue);
    r.sendMethod(1, MethodId.QueueBind, { queue, exchange: 'amq.fanout', routingKey: '', noWait: false, arguments: {} });
    await r.expectMethod(MethodId.QueueBindOk);
    const args = Buffer.concat([hex('0000'), shortstr(Buffer.from('amq.fanout')), shortstr(key), hex('00')]);
    for (let i = 0; i < 2; i++) {
      r.write([methodFrame(1, 60, 40, args), encodeHeaderFrame(1, ClassId.Basic, 1, hex('0000')), encodeBodyFrame(1, Buffer.from('x'), 0, 1)]);
    }
    // basic.get-ok: delivery-tag(8) redelivered(1) exchange routing-key message-count
    r.sendMethod(1, MethodId.BasicGet, { queue, noAck: true });
    const getOk = await nextMethodFrame(r);
    expect(getOk.readUInt32BE(0)).toBe(MethodId.BasicGetOk);
    const afterExchange = 4 + 9 + 1 + (getOk[13] as number);
    expect(getOk.subarray(afterExchange, afterExchange + 1 + key.length).equals(shortstr(key))).toBe(true);
    await nextProperties(r);
    // basic.deliver: consumer-tag, delivery-tag(8), redelivered(1), exchange, routing-key
    r.sendMethod(1, MethodId.BasicConsume, { queue, consumerTag: 'c', noLocal: false, noAck: true, exclusive: false, noWait: false, arguments: {} });
    await r.expectMethod(MethodId.BasicConsumeOk);
    const deliver = await nextMethodFrame(r);
    expect(deliver.readUInt32BE(0)).toBe(MethodId.BasicDeliver);
    const exchangeAt = 4 + 1 + (deliver[4] as number) + 9;
    const keyAt = exchangeAt + 1 + (deliver[exchangeAt] as number);
    expect(deliver.subarray(keyAt, keyAt + 1 + key.length).equals(shortstr(key))).toBe(true);
  });

  test('publishing to an exchange named with invalid UTF-8 is 404 NOT_FOUND on the channel, the name echoed as sent', async () => {
    const r = await rawConnected();
    const name = hex('61 6d 71 ff');
    r.write([methodFrame(1, 60, 40, Buffer.concat([hex('0000'), shortstr(name), shortstr(Buffer.from('k')), hex('00')])), encodeHeaderFrame(1, ClassId.Basic, 0, hex('0000'))]);
    const close = await nextMethodFrame(r);
    expect(close.readUInt32BE(0)).toBe(MethodId.ChannelClose);
    expect(close.readUInt16BE(4)).toBe(Reply.NOT_FOUND);
    const text = close.subarray(7, 7 + (close[6] as number));
    expect(text.includes(Buffer.concat([Buffer.from("no exchange '"), name, Buffer.from("'")]))).toBe(true);
  });
});

describe('content-header properties that cannot be decoded (RabbitMQ: connection.close 541, nothing enqueued)', () => {
  test.each([
    ['a flag set with its value missing', hex('8000')],
    ['an unknown field type in the headers', Buffer.concat([hex('2000'), table(entry('k', hex('5a 00000002')))])],
    ['bytes after the last property', hex('0000 0102')],
    ['a continuation flag word', hex('0001 0000')],
  ])('%s', async (_name, properties) => {
    const queue = cleanup.queue(uniqueName('poison.props'));
    const r = await rawConnected();
    await declare(r, queue);
    r.write(publish(Buffer.from(queue), properties));
    const close = await r.expectConnectionClose();
    expect(close.replyCode).toBe(Reply.INTERNAL_ERROR);
    expect(close.replyText.startsWith('INTERNAL_ERROR')).toBe(true);
    expect([close.classId, close.methodId]).toEqual([0, 0]);
    const check = await rawConnected();
    expect(await get(check, queue)).toBe('empty');
  });
});

describe('properties that decode to values JavaScript holds differently reach consumers byte for byte', () => {
  test('basic.get returns the published property bytes unchanged', async () => {
    const queue = cleanup.queue(uniqueName('poison.exact'));
    const r = await rawConnected();
    await declare(r, queue);
    const properties = oddProperties();
    r.write(publish(Buffer.from(queue), properties));
    expect(await get(r, queue)).not.toBe('empty');
    expect((await nextProperties(r)).equals(properties)).toBe(true);
  });

  test('dead-lettered on expiry: every header entry and the other properties keep their bytes; x-death is added', async () => {
    const dlq = cleanup.queue(uniqueName('poison.dlq'));
    const queue = cleanup.queue(uniqueName('poison.ttl'));
    const r = await rawConnected();
    await declare(r, dlq);
    await declare(r, queue, { 'x-message-ttl': 0, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq });
    r.write(publish(Buffer.from(queue), oddProperties()));
    expect(await getEventually(r, dlq)).not.toBe('empty');
    const copy = await nextProperties(r);
    for (const e of ODD_ENTRIES) expect(copy.includes(e)).toBe(true);
    expect(copy.includes(Buffer.concat([shortstr(hex('fffe'))]))).toBe(true);
    expect(copy.subarray(copy.length - 8).equals(hex('ffffffffffffffff'))).toBe(true);
    expect(copy.includes(Buffer.from('x-death'))).toBe(true);
  });

  test('requeued from a quorum queue with a delivery limit: the headers keep their bytes and the broker stays up', async () => {
    const queue = cleanup.queue(uniqueName('poison.quorum'));
    const r = await rawConnected();
    r.sendMethod(1, MethodId.QueueDeclare, {
      queue, passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false,
      arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 },
    });
    await r.expectMethod(MethodId.QueueDeclareOk);
    r.write(publish(Buffer.from(queue), oddProperties(2)));
    const first = await getEventually(r, queue, false);
    expect(first).not.toBe('empty');
    await nextProperties(r);
    r.sendMethod(1, MethodId.BasicNack, { deliveryTag: (first as { deliveryTag: number }).deliveryTag, multiple: false, requeue: true });
    expect(await getEventually(r, queue, true)).toMatchObject({ redelivered: true });
    const copy = await nextProperties(r);
    for (const e of ODD_ENTRIES) expect(copy.includes(e)).toBe(true);
    const conn = await connect(broker.url);
    await channel(conn);
    await conn.close();
  });
});
