import { decodeBytes, encodeString, encodedLength, isValidUtf8, writeString } from './utf8';
import { Rng } from './test-support/random';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('decodeBytes / encodeString: any bytes survive the round trip', () => {
  test.each([
    ['ASCII', '71 75 65 75 65'],
    ['valid multi-byte UTF-8', 'c3a9 e282ac f09f9880'],
    ['a real U+FFFD', 'efbfbd'],
    ['90 x 0xFF', 'ff'.repeat(90)],
    ['a truncated sequence', '61 e282'],
    ['an overlong slash', 'c0af'],
    ['an encoded surrogate', 'eda080'],
    ['above U+10FFFF', 'f4908080'],
    ['a lone continuation byte between valid characters', 'c3a9 80 c3a9'],
  ])('%s', (_name, bytes) => {
    const buf = hex(bytes);
    const s = decodeBytes(buf, 0, buf.length);
    expect(encodedLength(s)).toBe(buf.length);
    expect(encodeString(s).equals(buf)).toBe(true);
  });

  test('valid UTF-8 decodes exactly as Buffer#toString does, and invalid bytes never equal a valid string', () => {
    expect(decodeBytes(hex('c3a9'), 0, 2)).toBe('é');
    expect(decodeBytes(hex('71ff'), 0, 2)).not.toBe('q\ufffd');
    expect(isValidUtf8(hex('efbfbd'), 0, 3)).toBe(true);
    expect(isValidUtf8(hex('71ff'), 0, 2)).toBe(false);
  });

  test('random bytes, 5,000 cases', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.alloc(rng.int(24));
      for (let j = 0; j < buf.length; j++) buf[j] = rng.int(4) === 0 ? rng.int(128) : 0x80 + rng.int(128);
      const s = decodeBytes(buf, 0, buf.length);
      expect(encodeString(s).equals(buf)).toBe(true);
    }
  });

  test('writeString writes at an offset and reports the bytes written', () => {
    const s = decodeBytes(hex('61 ff 62'), 0, 3);
    const out = Buffer.alloc(6, 0xee);
    expect(writeString(out, 2, s)).toBe(3);
    expect(out).toEqual(hex('eeee 61ff62 ee'));
  });
});
