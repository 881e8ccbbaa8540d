import { encodeTable, readTable, MAX_NESTING } from './field-table';
import { decodeBasicProperties, encodeBasicProperties, type BasicProperties } from './generated/amqp';
import { checkProperties, editHeaders, editProperties, editTable, encodeValue, headersBytes, tableValue } from './property-list';
import { Rng, randomTable } from './test-support/random';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A headers table of one entry whose value bytes (type octet included) are given. */
function headersWith(key: string, value: Buffer): Buffer {
  const entry = Buffer.concat([Buffer.from([key.length]), Buffer.from(key, 'latin1'), value]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(entry.length);
  return Buffer.concat([hex('2000'), length, entry]);
}

function decode(properties: Buffer): BasicProperties {
  return decodeBasicProperties(properties, 0, properties.length);
}

describe('checkProperties: what RabbitMQ 3.10 accepts at publish', () => {
  test.each<[string, BasicProperties]>([
    ['no properties', {}],
    ['every property', {
      contentType: 'text/plain', contentEncoding: 'gzip', headers: { a: 1, b: [{ c: 'd' }] }, deliveryMode: 2, priority: 9,
      correlationId: 'c', replyTo: 'r', expiration: '60000', messageId: 'm', timestamp: 1_700_000_000, type: 't',
      userId: 'guest', appId: 'app', clusterId: 'x',
    }],
  ])('%s is well formed', (_name, props) => {
    expect(checkProperties(encodeBasicProperties(props))).toBeUndefined();
  });

  test('random headers tables are well formed', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) expect(checkProperties(encodeBasicProperties({ headers: randomTable(rng) }))).toBeUndefined();
  });

  test.each<[string, Buffer]>([
    // Probed against RabbitMQ 3.10: each of these is accepted and delivered byte for byte.
    ['a timestamp header beyond a Date (0x00ffffffffffffff)', headersWith('t', hex('54 00ffffffffffffff'))],
    ['a timestamp property of 2^64-1', hex('0040 ffffffffffffffff')],
    ['a content-type of invalid UTF-8', hex('8000 02 fffe')],
    ['a header key of invalid UTF-8', headersWith('\xff\xfe', hex('53 00000001 ff'))],
    ['flag bit 1, which basic does not define', hex('0002')],
  ])('accepts %s', (_name, properties) => {
    expect(checkProperties(properties)).toBeUndefined();
  });

  test.each<[string, Buffer, string]>([
    ['a flag set with its value missing', hex('8000'), 'properties: truncated short string'],
    ['a short string running past the end', hex('8000 05 6162'), 'properties: truncated'],
    ['a truncated timestamp', hex('0040 0000'), 'properties: truncated'],
    ['bytes after the last property', hex('0000 0102'), 'properties: 2 bytes after the last property'],
    ['a continuation flag word', hex('0001 0000'), 'property flags: continuation words are not supported'],
    ['an unknown field type in the headers', headersWith('k', hex('5a 00000002')), 'headers: field table: unknown field type 0x5a'],
    ['a headers length beyond the list', hex('2000 000000ff 01 61 74 01'), 'headers: field table: table length 255 exceeds the available data'],
  ])('refuses %s', (_name, properties, reason) => {
    expect(checkProperties(properties)).toBe(reason);
  });

  test(`refuses headers nested deeper than ${MAX_NESTING} (the decoder's limit) and accepts ${MAX_NESTING}`, () => {
    const nested = (levels: number): Buffer => {
      let inner = Buffer.alloc(0);
      for (let i = 0; i < levels; i++) {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(inner.length);
        inner = Buffer.concat([Buffer.from([1, 0x61, 0x46]), length, inner]);
      }
      const length = Buffer.alloc(4);
      length.writeUInt32BE(inner.length);
      return Buffer.concat([hex('2000'), length, inner]);
    };
    expect(checkProperties(nested(MAX_NESTING))).toBeUndefined();
    expect(checkProperties(nested(MAX_NESTING + 1))).toBe(`headers: field table: nested deeper than ${MAX_NESTING}`);
  });

  test('every truncation of a well-formed list is refused, never thrown', () => {
    const full = encodeBasicProperties({ contentType: 'a', headers: { k: [1, { x: 'y' }] }, deliveryMode: 2, timestamp: 5, appId: 'z' });
    for (let cut = 1; cut < full.length; cut++) {
      const part = Buffer.from(full.subarray(0, cut));
      expect(() => checkProperties(part)).not.toThrow();
      expect(checkProperties(part)).toBeDefined();
    }
  });
});

describe('editProperties: edits copy every byte they do not change', () => {
  const odd = Buffer.concat([
    // content-type of invalid UTF-8, headers with a 'b' integer and a wide timestamp, a timestamp property of 2^64-1
    hex('a040 02fffe'),
    (() => {
      const entries = Buffer.concat([hex('01 62 62 ff'), hex('01 74 54 00ffffffffffffff'), hex('02 ffff 53 00000001 80')]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(entries.length);
      return Buffer.concat([length, entries]);
    })(),
    hex('ffffffffffffffff'),
  ]);

  test('the fixture is well formed', () => {
    expect(checkProperties(odd)).toBeUndefined();
  });

  test('setting a header keeps the other headers and properties byte for byte, the new one appended', () => {
    const edited = editHeaders(odd, [['x-delivery-count', encodeValue(3)]]);
    expect(checkProperties(edited)).toBeUndefined();
    const before = headersBytes(odd) as Buffer;
    const after = headersBytes(edited) as Buffer;
    expect(after.subarray(4, before.length).equals(before.subarray(4))).toBe(true);
    expect(tableValue(after, 'x-delivery-count')).toEqual(encodeValue(3));
    expect(edited.subarray(0, 5).equals(odd.subarray(0, 5))).toBe(true);
    expect(edited.subarray(edited.length - 8).equals(hex('ffffffffffffffff'))).toBe(true);
  });

  test('replacing a header keeps its place; removing one drops only its bytes', () => {
    const table = encodeTable({ a: 1, 'x-delay': 500, z: 'last' });
    const replaced = editTable(table, [['x-delay', encodeValue(-500)]]);
    expect(readTable(replaced, 0, replaced.length).table).toEqual({ a: 1, 'x-delay': -500, z: 'last' });
    expect(Object.keys(readTable(replaced, 0, replaced.length).table)).toEqual(['a', 'x-delay', 'z']);
    const removed = editTable(table, [['x-delay', null]]);
    expect(removed.equals(encodeTable({ a: 1, z: 'last' }))).toBe(true);
    expect(editTable(undefined, [['gone', null]]).equals(encodeTable({}))).toBe(true);
  });

  test('a new reply-to replaces the old one; expiration can be dropped', () => {
    const props = encodeBasicProperties({ replyTo: 'amq.rabbitmq.reply-to', expiration: '100', messageId: 'm' });
    const edited = editProperties(props, { replyTo: 'amq.rabbitmq.reply-to.abc', dropExpiration: true });
    expect(decode(edited)).toEqual(decode(encodeBasicProperties({ replyTo: 'amq.rabbitmq.reply-to.abc', messageId: 'm' })));
  });

  test('headers are added to a message that had none', () => {
    const edited = editHeaders(encodeBasicProperties({ deliveryMode: 2 }), [['x-delay', encodeValue(-5)]]);
    expect(decode(edited)).toEqual({ ...decode(encodeBasicProperties({ deliveryMode: 2 })), headers: { 'x-delay': -5 } });
  });

  test('a malformed list comes back unchanged instead of throwing', () => {
    const bad = hex('8000');
    expect(editHeaders(bad, [['x', encodeValue(1)]])).toBe(bad);
  });
});
