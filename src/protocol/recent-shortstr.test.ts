/**
 * readAnyShortstr keeps the last few strings it read (codec.ts recentString): whatever that cache holds, every read
 * must give exactly the string of the bytes read, including keys that share a slot and bytes that are not UTF-8.
 */
import { readAnyShortstr } from './codec';
import { encodeString } from './utf8';

function shortstr(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function read(bytes: Buffer): string {
  const buf = shortstr(bytes);
  return readAnyShortstr(buf, 0, buf.length, 'routing key');
}

describe('readAnyShortstr and its recent strings', () => {
  test('the same bytes read again give the same string; other bytes of the same length, first and last byte do not', () => {
    const a = read(Buffer.from('orders.new'));
    expect(a).toBe('orders.new');
    expect(read(Buffer.from('orders.new'))).toBe('orders.new');
    // Same length, same first and last byte: the same slot, different middle.
    expect(read(Buffer.from('oXders.new'))).toBe('oXders.new');
    expect(read(Buffer.from('orders.new'))).toBe('orders.new');
  });

  test('many keys in turn, read twice over, always decode to their own bytes', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `s${i % 17}.${'x'.repeat(i % 40)}.k${i}`);
    for (let round = 0; round < 2; round++) for (const k of keys) expect(read(Buffer.from(k))).toBe(k);
  });

  test('bytes that are not UTF-8 come back as the same escapes, and encode back to the same bytes', () => {
    const raw = Buffer.from([0x61, 0xff, 0x62, 0xc3]);
    const first = read(raw);
    const again = read(raw);
    expect(again).toBe(first);
    expect(Buffer.compare(encodeString(again), raw)).toBe(0);
    const longer = Buffer.alloc(100, 0x7a); // over the cached length: decoded each time
    expect(read(longer)).toBe('z'.repeat(100));
  });
});
