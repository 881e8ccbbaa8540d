import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { Decimal } from '../protocol/field-table';
import { MemoryStore } from '../store/memory';
import { SqliteStore } from '../store/sqlite';
import type { DelayedRecord } from '../store/store';
import { DelayedScheduler, MAX_DELAY_MS, delayOf } from './scheduler';

const props = Buffer.from([0, 0]);

function bodies(records: DelayedRecord[]): string[] {
  return records.map((r) => r.body.toString());
}

describe('DelayedScheduler (fake clock and timers)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  function setup(options: { batch?: number; onError?: (err: unknown, r: DelayedRecord | undefined) => void } = {}) {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['setImmediate', 'clearImmediate', 'queueMicrotask', 'nextTick'] });
    const store = new MemoryStore();
    const delivered: DelayedRecord[] = [];
    const at: number[] = [];
    const scheduler = new DelayedScheduler(store, (r) => {
      delivered.push(r);
      at.push(Date.now());
    }, options);
    return { store, scheduler, delivered, at };
  }

  const schedule = (s: DelayedScheduler, body: string, delayMs: number, exchange = 'dx') =>
    s.schedule('/', exchange, 'rk', props, Buffer.from(body), delayMs);

  test('delivers each message at its due time, in due order, then removes it', () => {
    const { store, scheduler, delivered, at } = setup();
    scheduler.start();
    schedule(scheduler, 'c', 300);
    schedule(scheduler, 'a', 100);
    schedule(scheduler, 'b', 200);
    schedule(scheduler, 'b2', 200);
    jest.advanceTimersByTime(99);
    expect(delivered).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(bodies(delivered)).toEqual(['a']);
    jest.advanceTimersByTime(200);
    expect(bodies(delivered)).toEqual(['a', 'b', 'b2', 'c']);
    expect(at).toEqual([1_000_100, 1_000_200, 1_000_200, 1_000_300]);
    expect(delivered[0]).toMatchObject({ vhost: '/', exchange: 'dx', routingKey: 'rk', properties: props, dueAt: 1_000_100 });
    expect(store.nextDue()).toBe(0);
    expect(store.delayedCount('/', 'dx')).toBe(0);
    expect(scheduler.armedDeadline).toBe(0);
  });

  test('one timer for everything; schedule re-arms only for an earlier deadline and never reads the store', () => {
    const { store, scheduler } = setup();
    scheduler.start();
    const reads = [jest.spyOn(store, 'nextDue'), jest.spyOn(store, 'loadDue')];
    for (let i = 0; i < 1000; i++) schedule(scheduler, `m${i}`, 5000 + ((i * 7919) % 1000));
    expect(jest.getTimerCount()).toBe(1);
    expect(scheduler.armedDeadline).toBe(1_005_000);
    schedule(scheduler, 'later', 9000);
    expect(scheduler.armedDeadline).toBe(1_005_000);
    schedule(scheduler, 'earlier', 10);
    expect(scheduler.armedDeadline).toBe(1_000_010);
    expect(jest.getTimerCount()).toBe(1);
    for (const read of reads) expect(read).not.toHaveBeenCalled();
  });

  test('ids are the store’s; the records are written before the call returns', () => {
    const { store, scheduler } = setup();
    const a = schedule(scheduler, 'a', 10);
    const b = schedule(scheduler, 'b', 10);
    expect(b).toBeGreaterThan(a);
    expect(store.loadDue(Number.MAX_SAFE_INTEGER, 10).map((r) => r.id)).toEqual([a, b]);
    expect(store.nextDelayedId()).toBeGreaterThan(b);
  });

  test('nothing is delivered before start(); start() delivers what is overdue at once and arms for the rest', () => {
    const { store, scheduler, delivered } = setup();
    // what a previous broker left behind
    store.putDelayed({ id: store.nextDelayedId(), vhost: '/', exchange: 'dx', routingKey: 'k', properties: props, body: Buffer.from('overdue'), dueAt: 900_000 });
    store.putDelayed({ id: store.nextDelayedId(), vhost: '/', exchange: 'dx', routingKey: 'k', properties: props, body: Buffer.from('future'), dueAt: 1_001_500 });
    schedule(scheduler, 'new', 100);
    jest.advanceTimersByTime(1000);
    expect(delivered).toEqual([]);
    scheduler.start();
    jest.advanceTimersByTime(0);
    expect(bodies(delivered)).toEqual(['overdue', 'new']);
    jest.advanceTimersByTime(499);
    expect(bodies(delivered)).toEqual(['overdue', 'new']);
    jest.advanceTimersByTime(1);
    expect(bodies(delivered)).toEqual(['overdue', 'new', 'future']);
  });

  test('a delay of 0 or less is due now', () => {
    const { scheduler, delivered } = setup();
    scheduler.start();
    schedule(scheduler, 'zero', 0);
    schedule(scheduler, 'negative', -50);
    expect(delivered).toEqual([]); // never inside schedule()
    jest.advanceTimersByTime(0);
    expect(bodies(delivered)).toEqual(['zero', 'negative']);
  });

  test('bounded work per turn: a full batch continues on the next turn', async () => {
    const { scheduler, delivered } = setup({ batch: 10 });
    scheduler.start();
    for (let i = 0; i < 35; i++) schedule(scheduler, `m${i}`, 50);
    jest.advanceTimersByTime(50);
    expect(delivered).toHaveLength(10);
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    await turn();
    expect(delivered).toHaveLength(20);
    schedule(scheduler, 'during', 0); // while continuing: picked up by the continuation, no timer of its own
    expect(jest.getTimerCount()).toBe(0);
    await turn();
    await turn();
    expect(bodies(delivered)).toEqual([...Array.from({ length: 35 }, (_, i) => `m${i}`), 'during']);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('deliver comes before removal: a record whose removal fails is still delivered, then delivered again', () => {
    const errors: unknown[] = [];
    const { store, scheduler, delivered } = setup({ onError: (err) => errors.push(err) });
    const calls: string[] = [];
    const remove = store.removeDelayed.bind(store);
    let failRemoval = true;
    jest.spyOn(store, 'removeDelayed').mockImplementation((id) => {
      calls.push(`remove ${id}`);
      if (failRemoval) throw new Error('disk on fire');
      remove(id);
    });
    scheduler.start();
    const id = schedule(scheduler, 'x', 10);
    jest.advanceTimersByTime(10);
    expect(bodies(delivered)).toEqual(['x']);
    expect(calls).toEqual([`remove ${id}`]);
    expect(errors).toHaveLength(1);
    failRemoval = false;
    jest.advanceTimersByTime(1000); // retried after a pause: at least once
    expect(bodies(delivered)).toEqual(['x', 'x']);
    expect(store.nextDue()).toBe(0);
  });

  test('a deliver that throws is reported; the record is dropped and the others still go', () => {
    const errors: [unknown, DelayedRecord | undefined][] = [];
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['setImmediate', 'clearImmediate', 'queueMicrotask', 'nextTick'] });
    const store = new MemoryStore();
    const delivered: string[] = [];
    const scheduler = new DelayedScheduler(store, (r) => {
      if (r.body.toString() === 'bad') throw new Error('no such exchange');
      delivered.push(r.body.toString());
    }, { onError: (err, r) => errors.push([err, r]) });
    scheduler.start();
    schedule(scheduler, 'a', 1);
    schedule(scheduler, 'bad', 2);
    schedule(scheduler, 'b', 3);
    jest.advanceTimersByTime(3);
    expect(delivered).toEqual(['a', 'b']);
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]!.body.toString()).toBe('bad');
    expect(store.nextDue()).toBe(0);
  });

  test('deadlines beyond 2^31-1 ms are reached in capped steps', () => {
    const { scheduler, delivered } = setup();
    scheduler.start();
    const far = 2 ** 31 + 5000;
    schedule(scheduler, 'far', far);
    expect(scheduler.armedDeadline).toBe(1_000_000 + 2 ** 31 - 1);
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(delivered).toEqual([]);
    expect(scheduler.armedDeadline).toBe(1_000_000 + far);
    jest.advanceTimersByTime(5000);
    expect(delivered).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(bodies(delivered)).toEqual(['far']);
  });

  test('records removed from the store meanwhile (exchange deleted) are simply not found', () => {
    const { store, scheduler, delivered } = setup();
    scheduler.start();
    schedule(scheduler, 'gone', 10, 'deleted');
    schedule(scheduler, 'kept', 20, 'kept');
    store.deleteDelayed('/', 'deleted');
    jest.advanceTimersByTime(20);
    expect(bodies(delivered)).toEqual(['kept']);
  });

  test('close() stops delivering and clears its timer; the records stay in the store', () => {
    const { store, scheduler, delivered } = setup();
    scheduler.start();
    schedule(scheduler, 'a', 10);
    scheduler.close();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(100);
    expect(delivered).toEqual([]);
    expect(store.nextDue()).toBe(1_000_010);
    schedule(scheduler, 'b', 10); // still stored, not armed
    expect(jest.getTimerCount()).toBe(0);
    scheduler.start(); // a closed scheduler stays closed
    expect(jest.getTimerCount()).toBe(0);
  });

  test('records due by the last unclean stop the store saw are delivered as redelivered, later ones not', () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['setImmediate', 'clearImmediate', 'queueMicrotask', 'nextTick'] });
    const store = new MemoryStore();
    const flags: Array<[string, boolean]> = [];
    const scheduler = new DelayedScheduler(store, (r, redelivered) => flags.push([r.body.toString(), redelivered]));
    // Held before the stop: 'early' fell due before it (the broker that stopped may have routed it), 'late' after.
    schedule(scheduler, 'early', 50);
    schedule(scheduler, 'late', 500);
    jest.spyOn(store, 'lastUncleanStopAt').mockReturnValue(1_000_100);
    jest.advanceTimersByTime(200);
    scheduler.start();
    schedule(scheduler, 'new', 10);
    jest.advanceTimersByTime(400);
    expect(flags).toEqual([
      ['early', true],
      ['new', false],
      ['late', false],
    ]);
  });
});

describe('DelayedScheduler (real timers)', () => {
  test('its timer does not keep the process alive', async () => {
    const store = new MemoryStore();
    const scheduler = new DelayedScheduler(store, () => undefined);
    scheduler.start();
    scheduler.schedule('/', 'dx', 'rk', props, Buffer.from('x'), 60_000);
    const timer = (scheduler as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
    scheduler.close();
  });

  test('lateness at 10,000 due per second on an SqliteStore (20,000 messages over 2 s)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leveret-delayed-'));
    const store = SqliteStore.open({ dataDir: dir });
    try {
      const n = 20_000;
      const lateness: number[] = [];
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const scheduler = new DelayedScheduler(store, (r) => {
        lateness.push(Date.now() - r.dueAt);
        if (lateness.length === n) done();
      });
      scheduler.start();
      const body = Buffer.alloc(100, 1);
      const start = 300; // ms of head room for scheduling them all
      for (let i = 0; i < n; i++) scheduler.schedule('/', 'dx', 'rk', props, body, start + Math.floor((i * 2000) / n));
      await finished;
      scheduler.close();
      lateness.sort((a, b) => a - b);
      const p = (q: number) => lateness[Math.min(n - 1, Math.floor(q * n))]!;
      // A measurement on a shared machine: the strict target (p99 < 50 ms) is checked by bench/delayed.ts. Here the
      // bound only catches a scheduler that falls behind for good; one stall of the loaded CI machine near the end
      // made the last 1.7 % of messages 330-345 ms late (p50 0 ms) in one of five CI runs, so it allows 500 ms.
      console.log(`delayed lateness over ${n} messages at 10k/s: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${lateness[n - 1]} ms`);
      expect(lateness[0]).toBeGreaterThanOrEqual(0); // never early
      expect(p(0.99)).toBeLessThan(500);
      expect(store.nextDue()).toBe(0);
      await store.flush();
      expect(store.countRows('delayed_messages')).toBe(0);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('delayOf', () => {
  test('integers are the delay in ms', () => {
    expect(delayOf({ 'x-delay': 5000 })).toBe(5000);
    expect(delayOf({ 'x-delay': 1 })).toBe(1);
    expect(delayOf({ 'x-delay': 2 ** 40 })).toBe(0); // beyond the plugin's limit: routed at once
    expect(delayOf({ 'x-delay': MAX_DELAY_MS })).toBe(MAX_DELAY_MS);
    expect(delayOf({ 'x-delay': MAX_DELAY_MS + 1 })).toBe(0);
    expect(delayOf({ 'x-delay': 7000n })).toBe(7000);
    expect(delayOf({ 'x-delay': 2n ** 40n })).toBe(0);
  });

  test('floats are truncated; numeric strings and byte arrays are read as integers (as the plugin does)', () => {
    expect(delayOf({ 'x-delay': 1500.9 })).toBe(1500);
    expect(delayOf({ 'x-delay': 0.5 })).toBe(0);
    expect(delayOf({ 'x-delay': '2500' })).toBe(2500);
    expect(delayOf({ 'x-delay': '+2500' })).toBe(2500);
    expect(delayOf({ 'x-delay': Buffer.from('300') })).toBe(300);
  });

  test('absent, zero, negative or of any other kind means now (0)', () => {
    expect(delayOf(undefined)).toBe(0);
    expect(delayOf({})).toBe(0);
    expect(delayOf({ 'X-Delay': 100 })).toBe(0);
    expect(delayOf({ 'x-delay': 0 })).toBe(0);
    expect(delayOf({ 'x-delay': -1000 })).toBe(0); // what the plugin sets once a message was delayed
    expect(delayOf({ 'x-delay': -5n })).toBe(0);
    expect(delayOf({ 'x-delay': '-10' })).toBe(0);
    for (const v of ['1.5', '1e3', ' 10', '', 'soon', true, null, new Date(5000), new Decimal(0, 10), [10], { ms: 10 }, Number.NaN, Infinity]) {
      expect(delayOf({ 'x-delay': v })).toBe(0);
    }
  });
});
