import { Decimal, Float32 } from './field-table';
import { encodeBasicProperties } from './generated/amqp';
import { deliveryModeOf, hasSenderKeyHeader, timestampOf } from './properties';

describe('deliveryModeOf', () => {
  test.each([
    [{}, 0],
    [{ deliveryMode: 2 }, 2],
    [{ deliveryMode: 1 }, 1],
    [{ contentType: 'text/plain', contentEncoding: 'gzip', deliveryMode: 2 }, 2],
    [{ headers: { a: 'x'.repeat(300), b: { c: [1, 2] } }, deliveryMode: 2, priority: 9 }, 2],
    [{ contentType: 'a', headers: {}, messageId: 'm' }, 0],
  ])('reads delivery-mode from %j without decoding the rest', (props, expected) => {
    expect(deliveryModeOf(encodeBasicProperties(props))).toBe(expected);
  });

  test('truncated property bytes read as absent, never throw', () => {
    const full = encodeBasicProperties({ contentType: 'text/plain', headers: { k: 'v' }, deliveryMode: 2 });
    for (let cut = 0; cut < full.length; cut++) {
      expect(() => deliveryModeOf(full.subarray(0, cut))).not.toThrow();
    }
  });
});

describe('hasSenderKeyHeader', () => {
  // Every type the encoder writes, ahead of the key looked for, so that each one is skipped by its size.
  const everyType = {
    s: 'CC and BCC inside a value are not keys',
    t: true,
    i: 7,
    l: 2 ** 40,
    d: 1.5,
    v: null,
    x: Buffer.from('CC'),
    T: new Date(1_700_000_000_000),
    f: new Float32(0.5),
    D: new Decimal(2, 12345),
    A: ['CC', 1, { CC: ['k'] }],
    F: { CC: ['nested, not top level'], BCC: 'x' },
  };

  test.each([
    [{}, false],
    [{ contentType: 'text/plain', deliveryMode: 2 }, false],
    [{ headers: {} }, false],
    [{ headers: everyType }, false],
    [{ headers: { ...everyType, CC: ['a'] } }, true],
    [{ headers: { ...everyType, BCC: ['b'] } }, true],
    [{ contentType: 'a', contentEncoding: 'b', headers: { CC: 'wrong type still counts' } }, true],
    [{ headers: { C: 1, CCC: 2, BC: 3, BCCC: 4, cc: ['lower case is another key'] } }, false],
  ])('%j -> %s', (props, expected) => {
    expect(hasSenderKeyHeader(encodeBasicProperties(props))).toBe(expected);
  });

  test('skips the types only other clients send (b B s u i) by their sizes', () => {
    const entries = [
      Buffer.from([1, 0x61, 0x62, 0xff]), // a: b
      Buffer.from([1, 0x62, 0x42, 0x01]), // b: B
      Buffer.from([1, 0x63, 0x73, 0x00, 0x01]), // c: s
      Buffer.from([1, 0x64, 0x75, 0x00, 0x01]), // d: u
      Buffer.from([1, 0x65, 0x69, 0, 0, 0, 1]), // e: i
    ];
    const withKey = (key: string): Buffer => {
      const last = Buffer.concat([Buffer.from([key.length]), Buffer.from(key, 'latin1'), Buffer.from([0x56])]);
      const table = Buffer.concat([...entries, last]);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(table.length);
      return Buffer.concat([Buffer.from([0x20, 0x00]), length, table]); // flags: headers only
    };
    expect(hasSenderKeyHeader(withKey('CC'))).toBe(true);
    expect(hasSenderKeyHeader(withKey('BCC'))).toBe(true);
    expect(hasSenderKeyHeader(withKey('XY'))).toBe(false);
  });

  test('unknown types and truncated bytes answer true (the caller decodes and reports), never throw', () => {
    const unknownType = Buffer.from([0x20, 0x00, 0, 0, 0, 3, 1, 0x61, 0x3f]);
    expect(hasSenderKeyHeader(unknownType)).toBe(true);
    // 'U' (int16 in the 0-9-1 spec) is not in RabbitMQ's dialect, nor in our decoder
    const typeU = Buffer.from([0x20, 0x00, 0, 0, 0, 5, 1, 0x61, 0x55, 0, 1]);
    expect(hasSenderKeyHeader(typeU)).toBe(true);
    // 'L' is (a signed 64-bit integer, as in RabbitMQ's parser): skipped like any known value
    const typeL = Buffer.from([0x20, 0x00, 0, 0, 0, 11, 1, 0x61, 0x4c, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(hasSenderKeyHeader(typeL)).toBe(false);
    const full = encodeBasicProperties({ headers: { a: 'x', b: 1 } });
    for (let cut = 2; cut < full.length; cut++) {
      expect(hasSenderKeyHeader(full.subarray(0, cut))).toBe(true);
    }
  });
});

describe('timestampOf', () => {
  test('the timestamp in seconds, undefined when absent or the list is malformed', () => {
    expect(timestampOf(encodeBasicProperties({ timestamp: 1_700_000_000, headers: { a: 1 } }))).toBe(1_700_000_000);
    expect(timestampOf(encodeBasicProperties({ contentType: 'text/plain' }))).toBeUndefined();
    expect(timestampOf(Buffer.alloc(0))).toBeUndefined();
    expect(timestampOf(Buffer.from([0x00, 0x40, 0, 0]))).toBeUndefined(); // flagged, 8 bytes short
  });
});
