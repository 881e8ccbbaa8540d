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
    // RabbitMQ reads 'L' as a signed 64-bit integer (py-amqp writes integers beyond 32 bits as 'L'): probed, delivered as sent
    ["an 'L' header of 2^40", headersWith('n', hex('4c 0000010000000000'))],
    ["an 'L' header of all ones (RabbitMQ: -1)", headersWith('n', hex('4c ffffffffffffffff'))],
    ["an 'L' in a nested table and in an array", headersWith('n', hex('46 0000000b 01 6d 4c 0000000000000001'))],
    ["an 'L' element of an array", headersWith('n', hex('41 00000009 4c 8000000000000000'))],
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
    ["a 'U' header (int16 in the 0-9-1 grammar; RabbitMQ has no clause for it)", headersWith('k', hex('55 0001')), 'headers: field table: unknown field type 0x55'],
    ["a truncated 'L' header", headersWith('k', hex('4c 00000000000001')), 'headers: field table: truncated value'],
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

  test("every 'L' in the headers, edited or not, nested or not, comes back as 'l' with the same eight bytes, as RabbitMQ writes it", () => {
    const lengthOf = (body: Buffer): Buffer => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(body.length);
      return Buffer.concat([length, body]);
    };
    /** Entries with three 'L' (or 'l') values: at the top, in a nested table, in an array. */
    const entries = (octet: string): Buffer =>
      Buffer.concat([
        hex(`01 61 ${octet} 0000010000000000`),
        hex('01 66 46'), lengthOf(hex(`01 62 ${octet} ffffffffffffffff`)),
        hex('01 41 41'), lengthOf(hex(`${octet} 8000000000000000`)),
      ]);
    const contentType = hex('0a 746578742f706c61696e'); // text/plain
    const published = Buffer.concat([hex('a000'), contentType, lengthOf(entries('4c'))]);
    expect(checkProperties(published)).toBeUndefined();
    // an edit of the headers (a header appended), a removal that changes nothing, and an edit of another property
    const count = encodeValue(1);
    expect(editHeaders(published, [['x-delivery-count', count]]).equals(
      Buffer.concat([hex('a000'), contentType, lengthOf(Buffer.concat([entries('6c'), hex('10'), Buffer.from('x-delivery-count'), count]))]),
    )).toBe(true);
    expect(editHeaders(published, [['absent', null]]).equals(Buffer.concat([hex('a000'), contentType, lengthOf(entries('6c'))]))).toBe(true);
    expect(editProperties(published, { replyTo: 'r' }).equals(Buffer.concat([hex('a200'), contentType, lengthOf(entries('6c')), hex('01 72')]))).toBe(true);
    // the published bytes themselves are not touched
    expect(published.equals(Buffer.concat([hex('a000'), contentType, lengthOf(entries('4c'))]))).toBe(true);
    expect(decode(editHeaders(published, [])).headers).toEqual({ a: 2 ** 40, f: { b: -1 }, A: [-9223372036854775808n] });
  });

  test("an 'L' octet that is data (inside a string or a key), not a type, is left alone", () => {
    const published = headersWith('L', hex('53 00000002 4c4c'));
    expect(editHeaders(published, [['absent', null]]).equals(published)).toBe(true);
  });

  test('a malformed list comes back unchanged instead of throwing', () => {
    const bad = hex('8000');
    expect(editHeaders(bad, [['x', encodeValue(1)]])).toBe(bad);
  });
});
