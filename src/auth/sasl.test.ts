import { encodedTableSize, writeTable, type FieldTable } from '../protocol/field-table';
import { parseSaslResponse, SASL_MECHANISMS } from './sasl';

/** An AMQPLAIN response: a field table without its 4-byte length prefix. */
function amqplain(table: FieldTable): Buffer {
  const framed = Buffer.alloc(encodedTableSize(table));
  writeTable(framed, 0, table);
  expect(framed.readUInt32BE(0)).toBe(framed.length - 4);
  return framed.subarray(4);
}

describe('SASL mechanisms', () => {
  test('PLAIN and AMQPLAIN are offered, in that order', () => {
    expect([...SASL_MECHANISMS]).toEqual(['PLAIN', 'AMQPLAIN']);
  });
});

describe('PLAIN', () => {
  test('without authzid', () => {
    expect(parseSaslResponse('PLAIN', Buffer.from('\0guest\0secret'))).toEqual({ username: 'guest', password: 'secret' });
  });

  test('with an authzid, which is ignored', () => {
    expect(parseSaslResponse('PLAIN', Buffer.from('admin\0guest\0secret'))).toEqual({
      username: 'guest',
      password: 'secret',
    });
  });

  test('empty password and UTF-8 names', () => {
    expect(parseSaslResponse('PLAIN', Buffer.from('\0łukasz\0'))).toEqual({ username: 'łukasz', password: '' });
  });

  test.each([
    ['empty', ''],
    ['no separator', 'guestguest'],
    ['one separator', 'guest\0guest'],
  ])('malformed (%s) gives null', (_name, text) => {
    expect(parseSaslResponse('PLAIN', Buffer.from(text))).toBeNull();
  });
});

describe('AMQPLAIN', () => {
  test('LOGIN and PASSWORD from the table', () => {
    expect(parseSaslResponse('AMQPLAIN', amqplain({ LOGIN: 'guest', PASSWORD: 'secret' }))).toEqual({
      username: 'guest',
      password: 'secret',
    });
  });

  test('binary values are read as UTF-8, other keys are ignored', () => {
    const response = amqplain({ x: 1, PASSWORD: Buffer.from('pw'), LOGIN: Buffer.from('bob') });
    expect(parseSaslResponse('AMQPLAIN', response)).toEqual({ username: 'bob', password: 'pw' });
  });

  test('a missing PASSWORD gives null', () => {
    expect(parseSaslResponse('AMQPLAIN', amqplain({ LOGIN: 'guest' }))).toBeNull();
  });

  test('a non-text LOGIN gives null', () => {
    expect(parseSaslResponse('AMQPLAIN', amqplain({ LOGIN: 42, PASSWORD: 'x' }))).toBeNull();
  });

  test('a truncated table gives null, not an exception', () => {
    const response = amqplain({ LOGIN: 'guest', PASSWORD: 'secret' });
    expect(parseSaslResponse('AMQPLAIN', response.subarray(0, response.length - 3))).toBeNull();
  });

  test('an empty response gives null', () => {
    expect(parseSaslResponse('AMQPLAIN', Buffer.alloc(0))).toBeNull();
  });
});

describe('unknown mechanisms', () => {
  test.each(['EXTERNAL', 'plain', 'SCRAM-SHA-256', ''])('%s gives undefined', (mechanism) => {
    expect(parseSaslResponse(mechanism, Buffer.from('\0guest\0guest'))).toBeUndefined();
  });
});
