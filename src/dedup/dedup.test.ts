import { describe, expect, test } from '@jest/globals';
import { Decimal, type FieldTable } from '../protocol/field-table';
import {
  DEFAULT_DEDUP_CACHE_SIZE,
  DEFAULT_DEDUP_HEADER,
  DedupCache,
  dedupKey,
  dedupTtlOverride,
  parseDedupArguments,
} from './dedup';

describe('DedupCache', () => {
  test('a key is a duplicate once seen; other keys are not', () => {
    const cache = new DedupCache(10, undefined);
    expect(cache.isDuplicate('a', 0)).toBe(false);
    expect(cache.isDuplicate('a', 1)).toBe(true);
    expect(cache.isDuplicate('a', 1e12)).toBe(true); // no TTL: until evicted
    expect(cache.isDuplicate('b', 2)).toBe(false);
    expect(cache.count).toBe(2);
  });

  test('the TTL counts from the first sighting; a duplicate does not refresh it', () => {
    const cache = new DedupCache(10, 100);
    expect(cache.isDuplicate('k', 1000)).toBe(false);
    expect(cache.isDuplicate('k', 1050)).toBe(true);
    expect(cache.isDuplicate('k', 1099)).toBe(true);
    expect(cache.isDuplicate('k', 1100)).toBe(false); // expired: seen anew, remembered again from now
    expect(cache.isDuplicate('k', 1199)).toBe(true);
    expect(cache.isDuplicate('k', 1200)).toBe(false);
  });

  test('a per-message TTL overrides the cache’s, for that key only; 0 remembers nothing', () => {
    const cache = new DedupCache(10, 100);
    expect(cache.isDuplicate('long', 0, 10_000)).toBe(false);
    expect(cache.isDuplicate('short', 0)).toBe(false);
    expect(cache.isDuplicate('long', 5000)).toBe(true);
    expect(cache.isDuplicate('short', 5000)).toBe(false);
    expect(cache.isDuplicate('zero', 7, 0)).toBe(false);
    expect(cache.isDuplicate('zero', 7)).toBe(false);
    const instant = new DedupCache(10, 0);
    expect(instant.isDuplicate('x', 0, undefined)).toBe(false);
    expect(instant.isDuplicate('x', 0)).toBe(false);
  });

  test('over its size it forgets the oldest insertion, however recently it was seen again', () => {
    const cache = new DedupCache(3, undefined);
    for (const k of ['a', 'b', 'c']) expect(cache.isDuplicate(k, 0)).toBe(false);
    expect(cache.isDuplicate('a', 1)).toBe(true); // a duplicate: does not move 'a'
    expect(cache.isDuplicate('d', 2)).toBe(false); // evicts 'a'
    expect(cache.count).toBe(3);
    expect(cache.isDuplicate('b', 3)).toBe(true);
    expect(cache.isDuplicate('a', 4)).toBe(false); // forgotten; now remembered again, evicting 'b'
    expect(cache.isDuplicate('c', 5)).toBe(true);
    expect(cache.isDuplicate('b', 6)).toBe(false);
    expect(cache.count).toBe(3);
  });

  test('an expired key seen again goes to the back of the eviction order', () => {
    const cache = new DedupCache(2, 10);
    expect(cache.isDuplicate('a', 0)).toBe(false);
    expect(cache.isDuplicate('b', 5)).toBe(false);
    expect(cache.isDuplicate('a', 10)).toBe(false); // expired, re-inserted after 'b'
    expect(cache.isDuplicate('c', 11)).toBe(false); // evicts 'b'
    expect(cache.isDuplicate('a', 12)).toBe(true);
    expect(cache.isDuplicate('b', 12)).toBe(false);
  });

  test('size 0 remembers nothing; clear() forgets everything', () => {
    const none = new DedupCache(0, undefined);
    expect(none.isDuplicate('a', 0)).toBe(false);
    expect(none.isDuplicate('a', 0)).toBe(false);
    expect(none.count).toBe(0);
    const cache = new DedupCache(5, undefined);
    cache.isDuplicate('a', 0);
    cache.clear();
    expect(cache.isDuplicate('a', 0)).toBe(false);
  });

  test('stays within its size over many keys', () => {
    const cache = new DedupCache(1000, 50);
    for (let i = 0; i < 100_000; i++) cache.isDuplicate(`k${i}`, i);
    expect(cache.count).toBe(1000);
    expect(cache.isDuplicate('k99999', 100_000)).toBe(true);
    expect(cache.isDuplicate('k98999', 100_000)).toBe(false);
  });
});

describe('parseDedupArguments', () => {
  test('undefined unless x-message-deduplication is true', () => {
    expect(parseDedupArguments({})).toBeUndefined();
    expect(parseDedupArguments({ 'x-message-deduplication': false, 'x-cache-size': 10 })).toBeUndefined();
    expect(parseDedupArguments({ 'x-cache-size': 'ignored without deduplication' })).toBeUndefined();
  });

  test('LavinMQ’s defaults: 128 keys, no TTL, the x-deduplication-header header', () => {
    expect(parseDedupArguments({ 'x-message-deduplication': true })).toEqual({
      cacheSize: DEFAULT_DEDUP_CACHE_SIZE,
      ttlMs: undefined,
      header: DEFAULT_DEDUP_HEADER,
    });
    expect(DEFAULT_DEDUP_CACHE_SIZE).toBe(128);
    expect(DEFAULT_DEDUP_HEADER).toBe('x-deduplication-header');
  });

  test('reads x-cache-size, x-cache-ttl and x-deduplication-header', () => {
    expect(
      parseDedupArguments({ 'x-message-deduplication': true, 'x-cache-size': 1000, 'x-cache-ttl': 60_000n, 'x-deduplication-header': 'order-id' }),
    ).toEqual({ cacheSize: 1000, ttlMs: 60_000, header: 'order-id' });
    expect(parseDedupArguments({ 'x-message-deduplication': true, 'x-cache-size': 0, 'x-cache-ttl': 0 })).toEqual({
      cacheSize: 0,
      ttlMs: 0,
      header: DEFAULT_DEDUP_HEADER,
    });
  });

  test('refuses wrong types and negative numbers with LavinMQ’s texts', () => {
    const on = (extra: FieldTable) => parseDedupArguments({ 'x-message-deduplication': true, ...extra });
    expect(parseDedupArguments({ 'x-message-deduplication': 'true' })).toBe('x-message-deduplication header not a boolean');
    expect(parseDedupArguments({ 'x-message-deduplication': 1 })).toBe('x-message-deduplication header not a boolean');
    expect(on({ 'x-cache-size': '10' })).toBe('x-cache-size header not an integer');
    expect(on({ 'x-cache-size': 1.5 })).toBe('x-cache-size header not an integer');
    expect(on({ 'x-cache-size': null })).toBe('x-cache-size header not an integer');
    expect(on({ 'x-cache-size': -1 })).toBe('x-cache-size header less than minimum value 0');
    expect(on({ 'x-cache-ttl': new Decimal(0, 5) })).toBe('x-cache-ttl header not an integer');
    expect(on({ 'x-cache-ttl': -5n })).toBe('x-cache-ttl header less than minimum value 0');
    expect(on({ 'x-deduplication-header': 5 })).toBe('x-deduplication-header header not a string');
    expect(on({ 'x-deduplication-header': Buffer.from('h') })).toBe('x-deduplication-header header not a string');
  });
});

describe('dedupKey', () => {
  const H = DEFAULT_DEDUP_HEADER;

  test('the header’s value, as text', () => {
    expect(dedupKey({ [H]: 'order-1' }, 'mid', H)).toBe('order-1');
    expect(dedupKey({ [H]: '' }, 'mid', H)).toBe('');
    expect(dedupKey({ [H]: 42 }, undefined, H)).toBe('42');
    expect(dedupKey({ [H]: 2n ** 62n }, undefined, H)).toBe('4611686018427387904');
    expect(dedupKey({ [H]: Buffer.from('order-1') }, undefined, H)).toBe('order-1');
    expect(dedupKey({ custom: 'c', [H]: 'default' }, undefined, 'custom')).toBe('c');
  });

  test('binary keys that are not UTF-8 stay distinct', () => {
    const a = dedupKey({ [H]: Buffer.from([0xff, 0x00, 0x01]) }, undefined, H);
    const b = dedupKey({ [H]: Buffer.from([0xfe, 0x00, 0x01]) }, undefined, H);
    expect(a).not.toBe(b);
    expect(a).toBe('\u0000xff0001');
  });

  test('falls back to the message-id, then to nothing', () => {
    expect(dedupKey(undefined, 'mid', H)).toBe('mid');
    expect(dedupKey({ other: 'x' }, 'mid', H)).toBe('mid');
    expect(dedupKey({ [H]: true }, 'mid', H)).toBe('mid'); // a value of no usable kind
    expect(dedupKey({ [H]: null }, undefined, H)).toBeUndefined();
    expect(dedupKey(undefined, undefined, H)).toBeUndefined();
  });
});

describe('dedupTtlOverride', () => {
  test('a message’s integer x-cache-ttl header, else undefined', () => {
    expect(dedupTtlOverride({ 'x-cache-ttl': 500 })).toBe(500);
    expect(dedupTtlOverride({ 'x-cache-ttl': 0 })).toBe(0);
    expect(dedupTtlOverride({ 'x-cache-ttl': 500n })).toBe(500);
    expect(dedupTtlOverride({ 'x-cache-ttl': '500' })).toBeUndefined();
    expect(dedupTtlOverride({ 'x-cache-ttl': -1 })).toBeUndefined();
    expect(dedupTtlOverride({})).toBeUndefined();
    expect(dedupTtlOverride(undefined)).toBeUndefined();
  });
});
