import type { QueueConsumer } from './consumer';
import { ConsumerList } from './consumer-list';
import { SortedNumbers } from '../util/sorted-numbers';
import { Rng } from '../protocol/test-support/random';

function consumer(tag: string, priority = 0, accepting = () => true): QueueConsumer {
  return { tag, priority, noAck: true, exclusive: false, canAccept: accepting, deliver: () => {}, cancelledByBroker: () => {} };
}

describe('ConsumerList', () => {
  test('serves the highest priority first, round-robin within it, skipping consumers that cannot accept', () => {
    const list = new ConsumerList();
    let bFull = false;
    for (const c of [consumer('low', -1), consumer('a', 5), consumer('b', 5, () => !bFull), consumer('mid', 2)]) list.add(c);
    expect([1, 2, 3, 4].map(() => list.next()?.tag)).toEqual(['a', 'b', 'a', 'b']);
    bFull = true;
    expect([1, 2].map(() => list.next()?.tag)).toEqual(['a', 'a']);
    const a = [...list.clear()].find((c) => c.tag === 'a');
    expect(a).toBeDefined();
    expect(list.size).toBe(0);
    expect(list.next()).toBeUndefined();
  });

  test('falls through to lower priorities when the higher ones cannot accept; first is the earliest arrival', () => {
    const list = new ConsumerList();
    const low = consumer('low', 0);
    list.add(low);
    list.add(consumer('high', 9, () => false));
    expect(list.next()).toBe(low);
    expect(list.first).toBe(low);
    expect(list.remove(low)).toBe(true);
    expect(list.remove(low)).toBe(false);
    expect(list.first?.tag).toBe('high');
    expect(list.next()).toBeUndefined();
  });

  test('100,000 consumers of rising priority are added and removed in linear-ish time', () => {
    const list = new ConsumerList();
    const all = Array.from({ length: 100_000 }, (_, i) => consumer(`c${i}`, i));
    const started = process.hrtime.bigint();
    for (const c of all) list.add(c);
    expect(list.next()?.tag).toBe('c99999');
    for (const c of all) list.remove(c);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(list.size).toBe(0);
    // The array this replaced took minutes here (a splice at the front per add); well under a second now.
    expect(ms).toBeLessThan(2000);
  });
});

describe('SortedNumbers', () => {
  test('agrees with a sorted array under random adds and deletes, across chunk splits', () => {
    const rng = new Rng(17);
    const sorted = new SortedNumbers();
    const model = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const v = rng.int(3000) - 1500;
      if (rng.int(3) === 0) expect(sorted.delete(v)).toBe(model.delete(v));
      else expect(sorted.add(v)).toBe(!model.has(v) && (model.add(v), true));
      if (i % 1000 === 0) expect([...sorted]).toEqual([...model].sort((a, b) => b - a));
    }
    expect([...sorted]).toEqual([...model].sort((a, b) => b - a));
    expect(sorted.size).toBe(model.size);
    for (const v of model) expect(sorted.has(v)).toBe(true);
  });
});
