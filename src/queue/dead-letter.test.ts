/**
 * Dead-lettering's message rewrite (x-death, x-first-death-*, x-last-death-*, expiration moved to
 * original-expiration), RabbitMQ's cycle rule, and the routing keys a published message carries (routing key + CC).
 * Expected shapes follow RabbitMQ 3.10 as probed (.tmp/rmq-texts.md "Dead-lettering"), plus x-last-death-*, which
 * Leveret sets as 3.13 does (spec/errata.md).
 */
import type { FieldTable, FieldValue } from '../protocol/field-table';
import { decodeBasicProperties, encodeBasicProperties, type BasicProperties } from '../protocol/generated/amqp';
import { deadLetterProperties, isDeadLetterCycle, publishedRoutingKeys, type DeathReason } from './dead-letter';
import type { Message } from './message';

/** 2026-11-21T08:14:20.789Z: the x-death time is this, truncated to the second. */
const NOW = 1_795_248_860_789;
const NOW_SECONDS = new Date(1_795_248_860_000);

function message(props: BasicProperties, exchange = 'amq.direct', routingKey = 'k1'): Message {
  return {
    id: 0,
    persistent: props.deliveryMode === 2,
    exchange,
    routingKey,
    properties: encodeBasicProperties(props),
    body: Buffer.from('body'),
    expiration: props.expiration === undefined ? -1 : Number(props.expiration),
    headers: undefined,
  };
}

function decode(properties: Buffer): BasicProperties {
  return decodeBasicProperties(properties, 0, properties.length);
}

/** Dead-letters `msg` from `queue` and returns the copy's properties, decoded. */
function die(msg: Message, queue: string, reason: DeathReason, keys: readonly string[] = [msg.routingKey], now = NOW): BasicProperties {
  return decode(deadLetterProperties(msg, queue, reason, keys, now));
}

/** The copy as the vhost builds it: the same message, now published to the DLX, with the rewritten properties. */
function copyOf(msg: Message, properties: Buffer, dlx: string): Message {
  return { ...msg, exchange: dlx, properties, expiration: -1, headers: undefined };
}

function deaths(props: BasicProperties): FieldTable[] {
  const value = props.headers?.['x-death'];
  expect(Array.isArray(value)).toBe(true);
  return value as FieldTable[];
}

describe('deadLetterProperties: the first death', () => {
  test('adds one x-death entry with count, reason, queue, time (seconds), exchange and routing-keys', () => {
    const props = die(message({ messageId: 'm1' }), 'src', 'rejected', ['k1', 'k2', 'k3']);
    expect(deaths(props)).toEqual([
      { count: 1, reason: 'rejected', queue: 'src', time: NOW_SECONDS, exchange: 'amq.direct', 'routing-keys': ['k1', 'k2', 'k3'] },
    ]);
    expect(deaths(props)[0]?.time).toBeInstanceOf(Date);
  });

  test.each(['rejected', 'expired', 'maxlen', 'delivery_limit'] as const)('reason %s is recorded as given', (reason) => {
    const props = die(message({}), 'src', reason);
    expect(deaths(props)[0]?.reason).toBe(reason);
    expect(props.headers?.['x-first-death-reason']).toBe(reason);
  });

  test('a message with an expiration: original-expiration is recorded and the expiration property removed', () => {
    const props = die(message({ expiration: '50', deliveryMode: 2 }), 'src', 'expired');
    expect(props.expiration).toBeUndefined();
    expect(deaths(props)).toEqual([
      {
        count: 1,
        reason: 'expired',
        queue: 'src',
        time: NOW_SECONDS,
        exchange: 'amq.direct',
        'routing-keys': ['k1'],
        'original-expiration': '50',
      },
    ]);
  });

  test('original-expiration is recorded whatever the reason (the queue TTL may be what expired it)', () => {
    const props = die(message({ expiration: '1000' }), 'src', 'rejected');
    expect(deaths(props)[0]?.['original-expiration']).toBe('1000');
    expect(props.expiration).toBeUndefined();
  });

  test('a message without an expiration has no original-expiration', () => {
    const props = die(message({}), 'src', 'expired');
    expect(Object.keys(deaths(props)[0] ?? {})).not.toContain('original-expiration');
  });

  test('x-first-death-* and x-last-death-* name the reason, queue and exchange', () => {
    const props = die(message({}, 'orders'), 'src', 'maxlen');
    expect(props.headers).toMatchObject({
      'x-first-death-reason': 'maxlen',
      'x-first-death-queue': 'src',
      'x-first-death-exchange': 'orders',
      'x-last-death-reason': 'maxlen',
      'x-last-death-queue': 'src',
      'x-last-death-exchange': 'orders',
    });
  });

  test('the default exchange is recorded as ""', () => {
    const props = die(message({}, '', 'src'), 'src', 'expired');
    expect(deaths(props)[0]?.exchange).toBe('');
    expect(props.headers?.['x-first-death-exchange']).toBe('');
  });

  test('other headers and properties are kept as they were', () => {
    const original: BasicProperties = {
      contentType: 'text/plain',
      contentEncoding: 'utf-8',
      headers: { keep: 1, nested: { a: 'b' }, CC: ['k2'] },
      deliveryMode: 2,
      priority: 3,
      correlationId: 'corr',
      replyTo: 'replies',
      messageId: 'm1',
      timestamp: 1_700_000_000,
      type: 't',
      userId: 'guest',
      appId: 'app',
    };
    const props = die(message(original), 'src', 'rejected', ['k1', 'k2']);
    const { headers, ...rest } = props;
    const { headers: originalHeaders, ...originalRest } = original;
    expect(rest).toEqual(originalRest);
    expect(headers).toMatchObject(originalHeaders as FieldTable);
    expect(Object.keys(headers ?? {}).sort()).toEqual(
      [
        'CC',
        'keep',
        'nested',
        'x-death',
        'x-first-death-exchange',
        'x-first-death-queue',
        'x-first-death-reason',
        'x-last-death-exchange',
        'x-last-death-queue',
        'x-last-death-reason',
      ].sort(),
    );
  });

  test('a message with no properties at all gets headers', () => {
    const msg: Message = { ...message({}), properties: Buffer.from([0, 0]) };
    const props = die(msg, 'src', 'rejected');
    expect(deaths(props)).toHaveLength(1);
    expect(props.headers?.['x-first-death-queue']).toBe('src');
  });

  test('the input message is not changed', () => {
    const msg = message({ expiration: '50', headers: { a: 1 } });
    const before = Buffer.from(msg.properties);
    die(msg, 'src', 'expired');
    expect(msg.properties.equals(before)).toBe(true);
  });
});

describe('deadLetterProperties: later deaths', () => {
  test('the same queue and reason again: count 2, the entry moved to the front, no new entry', () => {
    // Expired in d1, rejected in d2, expired in d1 again (RabbitMQ's d1/d2 chain).
    const published = message({ expiration: '1000' }, '', 'd1');
    const first = copyOf(published, deadLetterProperties(published, 'd1', 'expired', ['d1'], NOW), '');
    const second = copyOf(first, deadLetterProperties(first, 'd2', 'rejected', ['d2'], NOW + 1000), '');
    const props = die(second, 'd1', 'expired', ['d1'], NOW + 2000);
    expect(deaths(props)).toEqual([
      {
        count: 2,
        reason: 'expired',
        queue: 'd1',
        time: NOW_SECONDS,
        exchange: '',
        'routing-keys': ['d1'],
        'original-expiration': '1000',
      },
      { count: 1, reason: 'rejected', queue: 'd2', time: new Date(NOW_SECONDS.getTime() + 1000), exchange: '', 'routing-keys': ['d2'] },
    ]);
  });

  test('a different queue or reason prepends a new entry; x-first-death-* stay, x-last-death-* follow', () => {
    const published = message({ expiration: '1000' }, '', 'src5');
    const first = copyOf(published, deadLetterProperties(published, 'src5', 'expired', ['src5'], NOW), 'dlx5');
    const props = die(first, 'src6', 'rejected', ['src5']);
    expect(deaths(props)).toEqual([
      { count: 1, reason: 'rejected', queue: 'src6', time: NOW_SECONDS, exchange: 'dlx5', 'routing-keys': ['src5'] },
      {
        count: 1,
        reason: 'expired',
        queue: 'src5',
        time: NOW_SECONDS,
        exchange: '',
        'routing-keys': ['src5'],
        'original-expiration': '1000',
      },
    ]);
    expect(props.headers).toMatchObject({
      'x-first-death-reason': 'expired',
      'x-first-death-queue': 'src5',
      'x-first-death-exchange': '',
      'x-last-death-reason': 'rejected',
      'x-last-death-queue': 'src6',
      'x-last-death-exchange': 'dlx5',
    });
  });

  test('the same queue with another reason is a separate entry', () => {
    const published = message({}, '', 'q');
    const first = copyOf(published, deadLetterProperties(published, 'q', 'rejected', ['q'], NOW), '');
    const props = die(first, 'q', 'maxlen', ['q']);
    expect(deaths(props).map((d) => [d.reason, d.queue, d.count])).toEqual([
      ['maxlen', 'q', 1],
      ['rejected', 'q', 1],
    ]);
  });

  test('a count that arrived as a bigint (or a long) is incremented', () => {
    const msg = message({
      headers: { 'x-death': [{ count: 7n, reason: 'rejected', queue: 'q', exchange: '', 'routing-keys': ['q'] }] },
    });
    expect(deaths(die(msg, 'q', 'rejected'))[0]?.count).toBe(8);
  });

  test('three rejections in the same queue count 3 and keep one entry', () => {
    let msg = message({}, '', 'q');
    for (let i = 0; i < 3; i++) msg = copyOf(msg, deadLetterProperties(msg, 'q', 'rejected', ['q'], NOW), '');
    const props = decode(msg.properties);
    expect(deaths(props)).toHaveLength(1);
    expect(deaths(props)[0]?.count).toBe(3);
  });
});

describe('isDeadLetterCycle (RabbitMQ 3.10 rule)', () => {
  const death = (queue: string, reason: DeathReason): FieldTable => ({ count: 1, reason, queue, exchange: '', 'routing-keys': [queue] });
  const history = (...entries: FieldValue[]): FieldTable => ({ 'x-death': entries });

  test('no headers, no x-death, or an x-death that is not an array: no cycle', () => {
    expect(isDeadLetterCycle(undefined, 'a')).toBe(false);
    expect(isDeadLetterCycle({}, 'a')).toBe(false);
    expect(isDeadLetterCycle({ 'x-death': 'a' }, 'a')).toBe(false);
    expect(isDeadLetterCycle(history(), 'a')).toBe(false);
  });

  test('a history that never reached the target: no cycle', () => {
    expect(isDeadLetterCycle(history(death('b', 'expired'), death('c', 'maxlen')), 'a')).toBe(false);
  });

  test('the target died automatically before (expired, maxlen, delivery_limit): a cycle', () => {
    expect(isDeadLetterCycle(history(death('a', 'expired')), 'a')).toBe(true);
    expect(isDeadLetterCycle(history(death('a', 'maxlen')), 'a')).toBe(true);
    expect(isDeadLetterCycle(history(death('a', 'delivery_limit')), 'a')).toBe(true);
  });

  test('c1 -> c2 -> c1 by TTL: a cycle at c1', () => {
    expect(isDeadLetterCycle(history(death('c2', 'expired'), death('c1', 'expired')), 'c1')).toBe(true);
  });

  test('a rejection at the target itself breaks the cycle', () => {
    expect(isDeadLetterCycle(history(death('a', 'rejected')), 'a')).toBe(false);
  });

  test('a rejection between the newest death and the target breaks the cycle', () => {
    expect(isDeadLetterCycle(history(death('b', 'expired'), death('c', 'rejected'), death('a', 'expired')), 'a')).toBe(false);
    expect(isDeadLetterCycle(history(death('b', 'rejected'), death('a', 'expired')), 'a')).toBe(false);
  });

  test('a rejection older than the target entry does not count', () => {
    expect(isDeadLetterCycle(history(death('a', 'expired'), death('b', 'rejected')), 'a')).toBe(true);
    expect(isDeadLetterCycle(history(death('b', 'expired'), death('a', 'maxlen'), death('a', 'rejected')), 'a')).toBe(true);
  });

  test('something that is not a table before the target entry means a client wrote it: no cycle', () => {
    expect(isDeadLetterCycle(history('junk', death('a', 'expired')), 'a')).toBe(false);
  });

  test('works on the headers deadLetterProperties produced', () => {
    const published = message({}, '', 'a');
    const once = decode(deadLetterProperties(published, 'a', 'expired', ['a'], NOW));
    expect(isDeadLetterCycle(once.headers, 'a')).toBe(true);
    expect(isDeadLetterCycle(once.headers, 'b')).toBe(false);
    const rejected = decode(deadLetterProperties(published, 'a', 'rejected', ['a'], NOW));
    expect(isDeadLetterCycle(rejected.headers, 'a')).toBe(false);
  });
});

describe('publishedRoutingKeys', () => {
  test('the routing key alone when there are no headers or no CC', () => {
    const msg = message({}, 'amq.direct', 'k1');
    expect(publishedRoutingKeys(msg, undefined)).toEqual(['k1']);
    expect(publishedRoutingKeys(msg, { other: 'x' })).toEqual(['k1']);
  });

  test('the routing key followed by the CC keys, in order; BCC is not included', () => {
    const msg = message({}, 'amq.direct', 'k1');
    expect(publishedRoutingKeys(msg, { CC: ['k2', 'k3'], BCC: ['k4'] })).toEqual(['k1', 'k2', 'k3']);
  });

  test('an empty CC adds nothing; non-string CC items and a CC that is not an array are ignored', () => {
    const msg = message({}, 'amq.direct', 'k1');
    expect(publishedRoutingKeys(msg, { CC: [] })).toEqual(['k1']);
    expect(publishedRoutingKeys(msg, { CC: [5, 'k2', true] })).toEqual(['k1', 'k2']);
    expect(publishedRoutingKeys(msg, { CC: 'k2' })).toEqual(['k1']);
  });

  test('returns a new array each time', () => {
    const msg = message({}, 'amq.direct', 'k1');
    const keys = publishedRoutingKeys(msg, { CC: ['k2'] });
    keys.push('mutated');
    expect(publishedRoutingKeys(msg, { CC: ['k2'] })).toEqual(['k1', 'k2']);
  });
});

describe('deadLetterProperties keeps what it does not change byte for byte', () => {
  const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
  // Headers as other clients write them: a 'b' integer, a timestamp beyond a Date, a key and a value of invalid
  // UTF-8. Decoding and re-encoding would change each of them (or fail); the edit must not.
  const oddEntries = hex('01 62 62 ff' + '01 74 54 00ffffffffffffff' + '02 fffe 53 00000002 c3 28');
  const properties = (() => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(oddEntries.length);
    // content-type of invalid UTF-8, then the headers, then a timestamp property of 2^64-1
    return Buffer.concat([hex('a040 02 fffe'), length, oddEntries, hex('ffffffffffffffff')]);
  })();
  const msg: Message = {
    id: 0, persistent: false, exchange: 'x', routingKey: 'k', properties, body: Buffer.from('b'), expiration: -1, headers: undefined,
  };

  test('the odd headers, content-type and timestamp reach the dead-letter copy unchanged, twice over', () => {
    const once = deadLetterProperties(msg, 'q1', 'expired', ['k'], NOW);
    const twice = deadLetterProperties({ ...msg, properties: once }, 'q1', 'expired', ['k'], NOW + 1000);
    for (const copy of [once, twice]) {
      expect(copy.includes(oddEntries)).toBe(true);
      expect(copy.subarray(0, 5).equals(hex('a040 02 fffe'))).toBe(true);
      expect(copy.subarray(copy.length - 8).equals(hex('ffffffffffffffff'))).toBe(true);
    }
    const d = decode(twice);
    expect(deaths(d)).toHaveLength(1);
    expect(deaths(d)[0]).toMatchObject({ count: 2, reason: 'expired', queue: 'q1' });
  });

  test('a forged x-death entry of odd values is moved to the front with its count raised, its other bytes kept', () => {
    // x-death: [ {queue: 'q1', reason: 'rejected', count: (b) 5, junk: (x) ff} ]
    const entry = hex('05 7175657565 53 00000002 7131' + '06 726561736f6e 53 00000008 72656a6563746564' + '05 636f756e74 62 05' + '04 6a756e6b 78 00000001 ff');
    const table = Buffer.concat([Buffer.from([0x46, 0, 0, 0, entry.length]), entry]);
    const array = Buffer.concat([Buffer.from([0x41, 0, 0, 0, table.length]), table]);
    const headers = Buffer.concat([hex('07'), Buffer.from('x-death'), array]);
    const props = Buffer.concat([hex('2000'), Buffer.from([0, 0, 0, headers.length]), headers]);
    const copy = deadLetterProperties({ ...msg, properties: props }, 'q1', 'rejected', ['k'], NOW);
    const d = decode(copy);
    expect(deaths(d)[0]).toMatchObject({ queue: 'q1', reason: 'rejected', count: 6, junk: Buffer.from([0xff]) });
    expect(copy.includes(hex('04 6a756e6b 78 00000001 ff'))).toBe(true);
  });
});
