import type { QueueEntry } from '../queue/message';
import type { Queue } from '../queue/queue';
import { Unacked, UnackedTable } from './unacked';

// UnackedTable never looks at the queue or the entry: opaque stand-ins are enough.
const QUEUE = {} as Queue;

function unacked(tag: number): Unacked {
  const entry = { seq: tag, redelivered: false } as unknown as QueueEntry;
  return new Unacked(tag, QUEUE, entry, undefined, 0);
}

function table(...tags: number[]): UnackedTable {
  const t = new UnackedTable();
  for (const tag of tags) t.add(unacked(tag));
  return t;
}

function tags(list: Unacked[] | undefined): number[] | undefined {
  return list?.map((u) => u.tag);
}

describe('UnackedTable.take', () => {
  test('single tag removes only that delivery', () => {
    const t = table(1, 2, 3);
    expect(tags(t.take(2, false))).toEqual([2]);
    expect(t.size).toBe(2);
    expect(tags(t.takeAll())).toEqual([1, 3]);
  });

  test('an unknown tag gives undefined and changes nothing', () => {
    const t = table(1, 2, 3);
    expect(t.take(7, false)).toBeUndefined();
    expect(t.take(7, true)).toBeUndefined();
    expect(t.size).toBe(3);
  });

  test('a tag already taken is unknown', () => {
    const t = table(1, 2);
    t.take(1, false);
    expect(t.take(1, false)).toBeUndefined();
    expect(t.take(1, true)).toBeUndefined();
  });

  test('multiple takes every delivery up to and including the tag, in order', () => {
    const t = table(1, 2, 3, 4, 5);
    expect(tags(t.take(3, true))).toEqual([1, 2, 3]);
    expect(tags(t.takeAll())).toEqual([4, 5]);
  });

  test('multiple with a tag that was already settled is unknown, even when lower tags are outstanding', () => {
    const t = table(1, 2, 3, 4);
    t.take(3, false);
    expect(t.take(3, true)).toBeUndefined();
    expect(t.size).toBe(3);
  });

  test('multiple skips gaps left by earlier single settles', () => {
    const t = table(1, 2, 3, 4, 5);
    t.take(2, false);
    expect(tags(t.take(4, true))).toEqual([1, 3, 4]);
    expect(tags(t.takeAll())).toEqual([5]);
  });

  test('tag 0 with multiple takes everything', () => {
    const t = table(4, 5, 6);
    expect(tags(t.take(0, true))).toEqual([4, 5, 6]);
    expect(t.size).toBe(0);
  });

  test('tag 0 with multiple on an empty table is an empty list, not unknown', () => {
    expect(table().take(0, true)).toEqual([]);
  });

  test('tag 0 without multiple is unknown', () => {
    const t = table(1);
    expect(t.take(0, false)).toBeUndefined();
    expect(t.size).toBe(1);
  });
});

describe('UnackedTable order', () => {
  test('re-adding lower tags (tx rollback) keeps tag order', () => {
    const t = table(1, 2, 3, 4, 5);
    const held = t.take(2, false) ?? [];
    const held2 = t.take(4, false) ?? [];
    expect(tags(t.take(5, false))).toEqual([5]);
    t.add(unacked(6));
    // Rolled-back settlements come back after higher tags were added.
    for (const u of [...held2, ...held]) t.add(u);
    expect(t.size).toBe(5);
    expect(tags(t.take(4, true))).toEqual([1, 2, 3, 4]);
    expect(tags(t.takeAll())).toEqual([6]);
  });

  test('after a rebuild, newly delivered tags still go to the end', () => {
    const t = table(1, 2, 3);
    const one = t.take(1, false) ?? [];
    for (const u of one) t.add(u);
    t.add(unacked(4));
    expect(tags(t.takeAll())).toEqual([1, 2, 3, 4]);
  });

  test('multiple after a rollback does not take tags above the given one', () => {
    const t = table(10, 11, 12);
    const taken = t.take(11, true) ?? [];
    expect(tags(taken)).toEqual([10, 11]);
    for (const u of taken) t.add(u);
    expect(tags(t.take(10, true))).toEqual([10]);
    expect(tags(t.takeAll())).toEqual([11, 12]);
  });
});
