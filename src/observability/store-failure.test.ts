import { MemoryStore } from '../store/memory';
import type { StoreHealthListener } from '../store/store';
import { createLogger } from './logger';
import { ResourceAlarms, watchStoreWrites } from './alarms';

/** A memory store that reports write health as the SQLite store does; the test plays its writer's events. */
class ReportingStore extends MemoryStore {
  listener: StoreHealthListener | undefined;
  onWriteHealth(listener: StoreHealthListener): void {
    this.listener = listener;
  }
}

function setup(giveUpMs: number): { store: ReportingStore; alarms: ResourceAlarms; fatal: Error[] } {
  const store = new ReportingStore();
  const alarms = new ResourceAlarms({ memoryHighWatermark: { relative: 1 }, diskFreeLimit: { absolute: 1 } });
  const fatal: Error[] = [];
  alarms.storeGiveUpMs = giveUpMs;
  alarms.onFatal((err) => fatal.push(err));
  watchStoreWrites(store, alarms, createLogger({ level: 'silent' }));
  return { store, alarms, fatal };
}

afterEach(() => jest.useRealTimers());

test('failing writes raise the disk alarm; a write after them clears it; no give-up then', () => {
  jest.useFakeTimers();
  const { store, alarms, fatal } = setup(1000);
  store.listener?.writeFailed('database or disk is full');
  store.listener?.writeFailed('database or disk is full');
  expect(alarms.resources).toEqual(['disk']);
  jest.advanceTimersByTime(900);
  store.listener?.writeRecovered();
  expect(alarms.resources).toEqual([]);
  jest.advanceTimersByTime(5000);
  expect(fatal).toEqual([]);
});

test('writes failing for giveUpMs are fatal, once', () => {
  jest.useFakeTimers();
  const { store, alarms, fatal } = setup(1000);
  store.listener?.writeFailed('disk I/O error');
  jest.advanceTimersByTime(999);
  expect(fatal).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(fatal.map((e) => e.message)).toEqual(['the store can write no more: writes kept failing for 1 s: disk I/O error']);
  store.listener?.writerDead('gone');
  expect(fatal).toHaveLength(1);
  store.listener?.writeRecovered();
  expect(alarms.resources).toEqual(['disk']);
});

test('a dead writer is fatal at once, with the disk alarm on', () => {
  const { store, alarms, fatal } = setup(60_000);
  store.listener?.writerDead('the writer thread exited (code 70)');
  expect(alarms.resources).toEqual(['disk']);
  expect(fatal.map((e) => e.message)).toEqual(['the store can write no more: the writer thread exited (code 70)']);
});

test('a fatal failure before anyone listens is handed to the handler when it comes', () => {
  const store = new ReportingStore();
  const alarms = new ResourceAlarms({ memoryHighWatermark: { relative: 1 }, diskFreeLimit: { absolute: 1 } });
  watchStoreWrites(store, alarms, createLogger({ level: 'silent' }));
  store.listener?.writerDead('gone during start-up');
  const fatal: Error[] = [];
  alarms.onFatal((err) => fatal.push(err));
  expect(fatal.map((e) => e.message)).toEqual(['the store can write no more: gone during start-up']);
});
