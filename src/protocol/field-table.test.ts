import {
  Decimal,
  Float32,
  encodeTable,
  encodedTableSize,
  readFieldValue,
  readTable,
  skipFieldValue,
  tablesEqual,
  writeFieldValue,
  encodedFieldValueSize,
  writeTable,
  MAX_NESTING,
  WideTimestamp,
  checkTable,
  type FieldTable,
  type FieldValue,
} from './field-table';
import { FrameSyntaxError } from './errors';
import { Rng, randomTable } from './test-support/random';

/** Hex string (spaces ignored) -> bytes. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const str = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
/** One table entry: shortstr key then typed value bytes (hex). */
const entry = (key: string, typeAndValueHex: string): string =>
  key.length.toString(16).padStart(2, '0') + str(key) + typeAndValueHex.replace(/\s+/g, '');
const table = (...entries: string[]): Buffer => {
  const body = entries.join('');
  return hex((body.length / 2).toString(16).padStart(8, '0') + body);
};

function decode(buf: Buffer): FieldTable {
  const { table: t, offset } = readTable(buf, 0, buf.length);
  expect(offset).toBe(buf.length);
  return t;
}

describe('field table golden vectors: decoding every type octet', () => {
  const cases: [string, string, FieldValue][] = [
    ['t true', '74 01', true],
    ['t false', '74 00', false],
    ['b int8', '62 ff', -1],
    ['B uint8', '42 ff', 255],
    ['s int16', '73 ff fe', -2],
    ['u uint16', '75 ff fe', 65534],
    ['I int32', '49 ff ff ff fd', -3],
    ['i uint32', '69 ff ff ff fd', 4294967293],
    ['l int64 safe', '6c 00 00 00 01 00 00 00 00', 4294967296],
    ['l int64 negative', '6c ff ff ff ff ff ff ff fe', -2],
    ['l int64 unsafe -> bigint', '6c 7f ff ff ff ff ff ff ff', 9223372036854775807n],
    ['l int64 min -> bigint', '6c 80 00 00 00 00 00 00 00', -9223372036854775808n],
    // 'L' is read as RabbitMQ reads it: signed, like 'l' (py-amqp writes integers beyond 32 bits as 'L')
    ['L int64 safe (py-amqp, 2^40)', '4c 00 00 01 00 00 00 00 00', 2 ** 40],
    ['L int64 small', '4c 00 00 00 00 00 00 00 05', 5],
    ['L all ones is -1, not 2^64-1', '4c ff ff ff ff ff ff ff ff', -1],
    ['L int64 unsafe -> bigint', '4c 7f ff ff ff ff ff ff ff', 9223372036854775807n],
    ['L high bit -> negative bigint', '4c 80 00 00 00 00 00 00 00', -9223372036854775808n],
    ['f float (kept as Float32)', '66 3f c0 00 00', new Float32(1.5)],
    ['d double', '64 40 09 21 fb 54 44 2d 18', Math.PI],
    ['D decimal', '44 02 00 00 30 39', new Decimal(2, 12345)],
    ['S longstr', '53 00 00 00 03 e6 97 a5'.replace('e6 97 a5', 'e6 97 a5'), '日'],
    ['x byte array', '78 00 00 00 02 00 ff', Buffer.from([0, 255])],
    ['A array', '41 00 00 00 07 74 01 62 05 56 56 56'.slice(0, 0) + '41 00 00 00 05 74 01 62 05 56', [true, 5, null]],
    ['T timestamp', '54 00 00 00 00 65 00 00 00', new Date(0x65000000 * 1000)],
    ['F table', '46 00 00 00 04 01 6b 74 01', { k: true }],
    ['V void', '56', null],
  ];
  it.each(cases)('%s', (_name, valueHex, expected) => {
    const buf = table(entry('key', valueHex));
    const t = decode(buf);
    expect(Object.keys(t)).toEqual(['key']);
    expect(t['key']).toEqual(expected);
    if (typeof expected === 'bigint') expect(typeof t['key']).toBe('bigint');
    if (expected instanceof Decimal) expect(t['key']).toBeInstanceOf(Decimal);
    if (expected instanceof Float32) expect(t['key']).toBeInstanceOf(Float32);
  });

  it('decodes an empty table and several entries in order', () => {
    expect(decode(hex('00000000'))).toEqual({});
    const t = decode(table(entry('a', '74 01'), entry('b', '56')));
    expect(Object.keys(t)).toEqual(['a', 'b']);
  });

  it('reads from an offset and stops at the table end', () => {
    const t = table(entry('a', '42 07'));
    const buf = Buffer.concat([hex('ffff'), t, hex('eeee')]);
    expect(readTable(buf, 2, buf.length)).toEqual({ table: { a: 7 }, offset: 2 + t.length });
  });

  it('keeps a __proto__ key as data', () => {
    const t = decode(table(entry('__proto__', '74 01')));
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(t, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('field table golden vectors: encoding infers types', () => {
  const cases: [string, FieldValue, string][] = [
    ['string -> S', 'hé', '53 00 00 00 03 68 c3 a9'],
    ['true -> t', true, '74 01'],
    ['false -> t', false, '74 00'],
    ['int32 -> I', -5, '49 ff ff ff fb'],
    ['int32 max -> I', 2147483647, '49 7f ff ff ff'],
    ['beyond int32 -> l', 2147483648, '6c 00 00 00 00 80 00 00 00'],
    ['negative beyond int32 -> l', -2147483649, '6c ff ff ff ff 7f ff ff ff'],
    ['non-integer -> d', 1.5, '64 3f f8 00 00 00 00 00 00'],
    ['Float32 -> f', new Float32(1.5), '66 3f c0 00 00'],
    ['huge integer beyond int64 -> d', 1e300, '64' + Buffer.from(new Float64Array([1e300]).buffer).reverse().toString('hex')],
    ['bigint -> l', -3n, '6c ff ff ff ff ff ff ff fd'],
    ['Buffer -> x', Buffer.from([1, 2]), '78 00 00 00 02 01 02'],
    ['Date -> T (seconds)', new Date(1700000000500), '54 00 00 00 00 65 53 f1 00'],
    ['Decimal -> D', new Decimal(3, 7), '44 03 00 00 00 07'],
    ['array -> A', ['a', 1], '41 00 00 00 0b 53 00 00 00 01 61 49 00 00 00 01'],
    ['null -> V', null, '56'],
    ['object -> F', { z: false }, '46 00 00 00 04 01 7a 74 00'],
  ];
  it.each(cases)('%s', (_name, value, expectedHex) => {
    const t: FieldTable = { v: value };
    const expected = table(entry('v', expectedHex));
    expect(encodedTableSize(t)).toBe(expected.length);
    const buf = Buffer.alloc(expected.length + 3, 0xaa);
    expect(writeTable(buf, 1, t)).toBe(1 + expected.length);
    expect(buf.subarray(1, 1 + expected.length).toString('hex')).toBe(expected.toString('hex'));
    expect(buf[0]).toBe(0xaa);
    expect(buf[expected.length + 1]).toBe(0xaa);
  });

  it('encodes undefined as void', () => {
    const t = { u: undefined } as unknown as FieldTable;
    expect(encodeTable(t).toString('hex')).toBe(table(entry('u', '56')).toString('hex'));
  });

  it('rejects values it cannot encode', () => {
    expect(() => encodeTable({ f: (() => 1) as unknown as FieldValue })).toThrow(TypeError);
    expect(() => encodeTable({ s: Symbol('x') as unknown as FieldValue })).toThrow(TypeError);
    expect(() => encodeTable({ ['k'.repeat(256)]: 1 })).toThrow(/longer than 255/);
    expect(() => encodeTable({ b: 2n ** 64n })).toThrow(/int64/);
  });

  it('rejects cyclic tables instead of overflowing the stack', () => {
    const t: FieldTable = {};
    t['self'] = t;
    expect(() => encodedTableSize(t)).toThrow(RangeError);
    const a: FieldValue[] = [];
    a.push(a);
    expect(() => encodedTableSize({ a })).toThrow(RangeError);
  });

  it('single field values round-trip through writeFieldValue/readFieldValue', () => {
    const v: FieldValue = { a: [1, 'x', { b: null }] };
    const buf = Buffer.alloc(encodedFieldValueSize(v));
    expect(writeFieldValue(buf, 0, v)).toBe(buf.length);
    expect(readFieldValue(buf, 0, buf.length)).toEqual({ value: v, offset: buf.length });
  });
});

describe('field table round trips (seeded random tables)', () => {
  it('encode -> decode gives an equal table, 500 cases', () => {
    const rng = new Rng(42);
    for (let i = 0; i < 500; i++) {
      const t = randomTable(rng);
      const buf = encodeTable(t);
      expect(buf.length).toBe(encodedTableSize(t));
      const back = decode(buf);
      expect(tablesEqual(back, t)).toBe(true);
      // Date values may lose milliseconds; our generator uses whole seconds, so toEqual holds too
      expect(back).toEqual(t);
      // and re-encoding is byte-identical
      expect(encodeTable(back).equals(buf)).toBe(true);
    }
  });
});

describe('field table: malformed input throws FrameSyntaxError, never reads out of bounds', () => {
  const bad: [string, Buffer][] = [
    ['truncated length', hex('0000')],
    ['length beyond end', hex('00000010 01 61 74 01')],
    ['key length beyond table', hex('00000002 05 61')],
    ['missing value type', hex('00000002 01 61')],
    ['unknown type octet', table(entry('a', '5a 00'))],
    ['truncated int32', table(entry('a', '49 00 00'))],
    ['truncated int64', table(entry('a', '6c 00 00 00 00 00 00 00'))],
    ['truncated L int64', table(entry('a', '4c 00 00 00 00 00 00 00'))],
    ['U (int16 in the 0-9-1 grammar, not read by RabbitMQ)', table(entry('a', '55 00 01'))],
    ['truncated timestamp', table(entry('a', '54 00'))],
    ['truncated decimal', table(entry('a', '44 00 00'))],
    ['longstr beyond table', table(entry('a', '53 00 00 00 09 61'))],
    ['byte array beyond table', table(entry('a', '78 ff ff ff ff'))],
    ['nested table beyond parent', table(entry('a', '46 00 00 00 09 01 62 74 01'))],
    ['array element truncated', table(entry('a', '41 00 00 00 02 49 00'))],
  ];
  it.each(bad)('%s', (_name, buf) => {
    expect(() => readTable(buf, 0, buf.length)).toThrow(FrameSyntaxError);
  });

  it('honours end even when the buffer continues', () => {
    const t = encodeTable({ a: 'hello' });
    expect(() => readTable(t, 0, t.length - 1)).toThrow(FrameSyntaxError);
  });

  it('rejects nesting deeper than MAX_NESTING', () => {
    let v: FieldValue = 1;
    for (let i = 0; i < MAX_NESTING + 5; i++) v = [v];
    // build the bytes by hand: encoder refuses this depth
    let inner = hex('49 00 00 00 01');
    for (let i = 0; i < MAX_NESTING + 5; i++) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(inner.length);
      inner = Buffer.concat([hex('41'), len, inner]);
    }
    const buf = table(entry('a', inner.toString('hex')));
    expect(() => readTable(buf, 0, buf.length)).toThrow(FrameSyntaxError);
  });

  it('every truncation of a rich table throws FrameSyntaxError (or decodes a shorter length-consistent table)', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 20; n++) {
      const buf = encodeTable(randomTable(rng));
      let others = 0;
      for (let cut = 0; cut < buf.length; cut++) {
        try {
          readTable(buf, 0, cut);
          others++;
        } catch (e) {
          if (!(e instanceof FrameSyntaxError)) others++;
        }
      }
      expect(others).toBe(0);
    }
  });

  it('random garbage never throws anything but FrameSyntaxError', () => {
    const rng = new Rng(99);
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.alloc(rng.int(40));
      for (let j = 0; j < body.length; j++) body[j] = rng.int(256);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(rng.int(4) === 0 ? rng.int(2 ** 32) : body.length);
      const buf = Buffer.concat([len, body]);
      try {
        readTable(buf, 0, buf.length);
      } catch (e) {
        expect(e).toBeInstanceOf(FrameSyntaxError);
      }
    }
  });
});

describe('tablesEqual', () => {
  it('ignores key order and compares deeply', () => {
    expect(tablesEqual({ a: 1, b: { c: [1, 'x'] } }, { b: { c: [1, 'x'] }, a: 1 })).toBe(true);
    expect(tablesEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(tablesEqual({ a: 1 }, { a: 1, b: 1 })).toBe(false);
    expect(tablesEqual({ a: 1, c: 1 }, { a: 1, b: 1 })).toBe(false);
    expect(tablesEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(tablesEqual({}, {})).toBe(true);
  });
  it('compares every value kind', () => {
    expect(tablesEqual({ a: Buffer.from('x') }, { a: Buffer.from('x') })).toBe(true);
    expect(tablesEqual({ a: Buffer.from('x') }, { a: 'x' })).toBe(false);
    expect(tablesEqual({ a: new Date(1000) }, { a: new Date(1000) })).toBe(true);
    expect(tablesEqual({ a: new Date(1000) }, { a: new Date(2000) })).toBe(false);
    expect(tablesEqual({ a: new Decimal(1, 5) }, { a: new Decimal(1, 5) })).toBe(true);
    expect(tablesEqual({ a: new Decimal(1, 5) }, { a: new Decimal(2, 5) })).toBe(false);
    expect(tablesEqual({ a: 5 }, { a: 5n })).toBe(true);
    expect(tablesEqual({ a: 5.5 }, { a: 5n })).toBe(false);
    expect(tablesEqual({ a: NaN }, { a: NaN })).toBe(true);
    expect(tablesEqual({ a: null }, { a: null })).toBe(true);
    expect(tablesEqual({ a: null }, { a: {} })).toBe(false);
    expect(tablesEqual({ a: [] }, { a: {} })).toBe(false);
    expect(tablesEqual({ a: {} }, { a: [] })).toBe(false);
    expect(tablesEqual({ a: '1' }, { a: 1 })).toBe(false);
    expect(tablesEqual({ a: true }, { a: 1 })).toBe(false);
  });
});

describe('skipFieldValue', () => {
  test('ends where the decoder ends, for every value of random tables and for the types only other clients send', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 200; n++) {
      const buf = encodeTable(randomTable(rng));
      let at = 4;
      while (at < buf.length) {
        at += 1 + buf[at]!; // key
        const skipped = skipFieldValue(buf, at, buf.length);
        expect(skipped).toBe(readFieldValue(buf, at, buf.length).offset);
        at = skipped;
      }
    }
    for (const bytes of [[0x62, 1], [0x42, 1], [0x73, 0, 1], [0x75, 0, 1], [0x69, 0, 0, 0, 1], [0x4c, 0, 0, 0, 1, 0, 0, 0, 0]]) {
      const buf = Buffer.from(bytes);
      expect(skipFieldValue(buf, 0, buf.length)).toBe(readFieldValue(buf, 0, buf.length).offset);
    }
  });

  test('a type the decoder refuses, or a value past the end, gives -1', () => {
    expect(skipFieldValue(Buffer.from([0x55, 0, 1]), 0, 3)).toBe(-1);
    expect(skipFieldValue(Buffer.from([0x4c, 0, 0, 0, 0, 0, 0, 1]), 0, 8)).toBe(-1);
    expect(skipFieldValue(Buffer.from([0x49, 0, 0]), 0, 3)).toBe(-1);
    expect(skipFieldValue(Buffer.from([0x53, 0, 0, 0, 9, 0x61]), 0, 6)).toBe(-1);
  });
});

describe('checkTable agrees with the decoder', () => {
  /** undefined when readTable accepts buf[0, end), else the message it throws. */
  function decoderVerdict(buf: Buffer, end = buf.length): string | undefined {
    try {
      readTable(buf, 0, end);
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(FrameSyntaxError);
      return (e as Error).message;
    }
  }

  it('accepts every random table the encoder writes, and each of their truncations exactly when the decoder does', () => {
    const rng = new Rng(11);
    for (let n = 0; n < 100; n++) {
      const buf = encodeTable(randomTable(rng));
      expect(checkTable(buf, 0, buf.length)).toBeUndefined();
      for (let cut = 0; cut < buf.length; cut++) {
        expect(checkTable(buf, 0, cut) === undefined).toBe(decoderVerdict(buf, cut) === undefined);
      }
    }
  });

  it('names the same fault as the decoder for the malformed vectors', () => {
    const cases = [
      hex('0000'),
      hex('00000010 01 61 74 01'),
      hex('00000002 05 61'),
      hex('00000002 01 61'),
      table(entry('a', '5a 00')),
      table(entry('a', '49 00 00')),
      table(entry('a', '53 00 00 00 09 61')),
      table(entry('a', '46 00 00 00 09 01 62 74 01')),
      table(entry('a', '41 00 00 00 02 49 00')),
    ];
    for (const buf of cases) {
      const verdict = checkTable(buf, 0, buf.length);
      expect(verdict).toBeDefined();
      expect(decoderVerdict(buf)).toBeDefined();
    }
    expect(checkTable(table(entry('a', '5a 00')), 0, 9)).toBe('field table: unknown field type 0x5a');
    expect(checkTable(table(entry('a', '55 00 01')), 0, 10)).toBe('field table: unknown field type 0x55');
    expect(decoderVerdict(table(entry('a', '55 00 01')))).toBe('field table: unknown field type 0x55');
  });

  it('refuses nesting one level deeper than the decoder accepts, and accepts the deepest the decoder does', () => {
    const nested = (levels: number): Buffer => {
      let inner = hex('49 00 00 00 01');
      for (let i = 0; i < levels; i++) {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(inner.length);
        inner = Buffer.concat([hex('41'), len, inner]);
      }
      return table(entry('a', inner.toString('hex')));
    };
    for (const levels of [MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 5000]) {
      const buf = nested(levels);
      expect(checkTable(buf, 0, buf.length) === undefined).toBe(decoderVerdict(buf) === undefined);
    }
    expect(checkTable(nested(MAX_NESTING), 0, Infinity)).toBeUndefined();
    expect(checkTable(nested(MAX_NESTING + 1), 0, Infinity)).toBe(`field table: nested deeper than ${MAX_NESTING}`);
  });

  it('random garbage: checkTable says undefined exactly when readTable accepts', () => {
    const rng = new Rng(1234);
    for (let i = 0; i < 5000; i++) {
      const body = Buffer.alloc(rng.int(40));
      for (let j = 0; j < body.length; j++) body[j] = rng.int(256);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(rng.int(4) === 0 ? rng.int(2 ** 32) : body.length);
      const buf = Buffer.concat([len, body]);
      expect(checkTable(buf, 0, buf.length) === undefined).toBe(decoderVerdict(buf) === undefined);
    }
  });
});

describe('timestamps beyond a Date', () => {
  it.each([
    ['the largest a Date holds', '000007dba8218000', false],
    ['one second more', '000007dba8218001', true],
    ['0x00ffffffffffffff', '00ffffffffffffff', true],
    ['2^64 - 1', 'ffffffffffffffff', true],
  ])('%s decodes to a value that encodes back to the same bytes', (_name, seconds, wide) => {
    const buf = table(entry('t', `54 ${seconds}`));
    const t = decode(buf);
    expect(t.t).toBeInstanceOf(Date);
    expect(t.t instanceof WideTimestamp).toBe(wide);
    if (wide) expect((t.t as WideTimestamp).seconds).toBe(BigInt(`0x${seconds}`));
    expect(encodeTable(t).equals(buf)).toBe(true);
  });

  it('two wide timestamps are equal when their seconds are', () => {
    expect(tablesEqual({ t: new WideTimestamp(2n ** 60n) }, { t: new WideTimestamp(2n ** 60n) })).toBe(true);
    expect(tablesEqual({ t: new WideTimestamp(2n ** 60n) }, { t: new WideTimestamp(2n ** 60n + 1n) })).toBe(false);
  });
});

describe("the type octets RabbitMQ's parser reads (rabbit_binary_parser.erl), and no other", () => {
  /** What RabbitMQ 3.10 reads, with each value's size after the octet (-1: a 4-byte length, then that many bytes). */
  const RABBIT: Record<string, number> = {
    t: 1, b: 1, B: 1, s: 2, u: 2, I: 4, i: 4, l: 8, L: 8, f: 4, d: 8, D: 5, T: 8, V: 0, S: -1, x: -1, A: -1, F: -1,
  };

  /** A value of the given type octet: zero bytes of its size, or an empty body behind a zero length. */
  function zeroValue(octet: number): Buffer {
    const size = RABBIT[String.fromCharCode(octet)];
    return Buffer.concat([Buffer.from([octet]), Buffer.alloc(size === undefined ? 2 : size < 0 ? 4 : size)]);
  }

  const octets = [...Array(256).keys()].map((octet): [string, number] => [octet.toString(16).padStart(2, '0'), octet]);
  it.each(octets)('type octet 0x%s: decoder, checkTable and skipFieldValue agree with RabbitMQ', (_hex, octet) => {
    const value = zeroValue(octet);
    const buf = table(entry('k', value.toString('hex')));
    const known = RABBIT[String.fromCharCode(octet)] !== undefined;
    const unknown = `field table: unknown field type 0x${octet.toString(16).padStart(2, '0')}`;
    expect(checkTable(buf, 0, buf.length)).toBe(known ? undefined : unknown);
    expect(skipFieldValue(value, 0, value.length)).toBe(known ? value.length : -1);
    if (known) {
      expect(readTable(buf, 0, buf.length).offset).toBe(buf.length);
      // inside an array too (RabbitMQ's parse_array has the same clauses)
      const arr = table(entry('a', `41 ${value.length.toString(16).padStart(8, '0')} ${value.toString('hex')}`));
      expect(checkTable(arr, 0, arr.length)).toBeUndefined();
      expect((readTable(arr, 0, arr.length).table['a'] as FieldValue[]).length).toBe(1);
    } else {
      expect(() => readTable(buf, 0, buf.length)).toThrow(unknown);
    }
  });

  it("re-encodes an 'L' value as RabbitMQ writes it back: 'l', or the narrower 'I' Leveret uses for any int32", () => {
    const t = decode(table(entry('big', '4c 00 00 01 00 00 00 00 00'), entry('huge', '4c 80 00 00 00 00 00 00 00'), entry('small', '4c 00 00 00 00 00 00 00 07')));
    expect(encodeTable(t).equals(table(entry('big', '6c 00 00 01 00 00 00 00 00'), entry('huge', '6c 80 00 00 00 00 00 00 00'), entry('small', '49 00 00 00 07')))).toBe(true);
  });

  it("an 'L' and an 'l' of the same value are equal arguments", () => {
    expect(tablesEqual(decode(table(entry('x-max-length', '4c 00 00 00 00 00 00 00 01'))), decode(table(entry('x-max-length', '6c 00 00 00 00 00 00 00 01'))))).toBe(true);
    expect(tablesEqual(decode(table(entry('n', '4c 80 00 00 00 00 00 00 00'))), decode(table(entry('n', '6c 80 00 00 00 00 00 00 00'))))).toBe(true);
  });
});
