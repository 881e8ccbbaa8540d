/**
 * Queue health's oldest ready message through paging (issue 15): entries paged out to the store come back with their
 * arrival (to within ARRIVAL_RESOLUTION_MS, never later), a restart counts recovered entries from the recovery, and
 * a priority queue's oldest may be in a lower level than the head. A hand-made clock drives the time.
 */
import { MemoryStore } from '../store/memory';
import type { FieldTable } from '../protocol/field-table';
import type { Store } from '../store/store';
import type { Clock } from '../util/clock';
import { DEFAULT_SETTINGS } from './arguments';
import { ARRIVAL_RESOLUTION_MS } from './arrivals';
import type { Message } from './message';
import { WINDOW } from './paging';
import { Queue } from './queue';

let time = 1_000_000;
const clock: Clock = { now: () => time, setTimeout: () => ({ unref: () => undefined }), clearTimeout: () => undefined };

function message(body: string, priority?: number): Message {
  // Content-header properties with only the priority flag (bit 11 of the flags) when a priority is given.
  const properties = priority === undefined ? Buffer.from([0, 0]) : Buffer.from([0x08, 0x00, priority]);
  return { id: 0, persistent: true, exchange: '', routingKey: 'q', properties, body: Buffer.from(body), expiration: -1, headers: undefined };
}

function durable(store: Store, args: FieldTable = {}): { queue: Queue; queueId: number } {
  const queueId = store.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: args });
  const maxPriority = typeof args['x-max-priority'] === 'number' ? args['x-max-priority'] : undefined;
  const queue = new Queue(
    { vhost: '/', name: 'q', durable: true, autoDelete: false, exclusiveOwner: null, arguments: args, clock, settings: { ...DEFAULT_SETTINGS, maxPriority } },
    { unused: () => undefined },
    { store, queueId },
  );
  return { queue, queueId };
}

test('a head paged in from the store answers its arrival, to within the resolution and never later', () => {
  const { queue } = durable(new MemoryStore());
  for (let i = 0; i < WINDOW; i++) queue.enqueue(message(`a${i}`));
  time += 5_000;
  const storedAt = time;
  for (let i = 0; i < 10; i++) {
    queue.enqueue(message(`b${i}`));
    time += 300;
  }
  expect(queue.pagedOut).toBe(10);
  expect(queue.oldestReadyArrival).toBe(storedAt - 5_000);
  for (let i = 0; i < WINDOW; i++) queue.take(true);
  // b0..b9 came back from the store; b0 heads the queue.
  expect(queue.headMessage?.body.toString()).toBe('b0');
  expect(queue.oldestReadyArrival).toBe(storedAt);
  queue.take(true);
  queue.take(true);
  queue.take(true);
  queue.take(true);
  // b4 arrived at storedAt + 1200: the mark at or before it is b4's own (a new second began at b4).
  const arrival = queue.oldestReadyArrival as number;
  expect(arrival).toBeLessThanOrEqual(storedAt + 4 * 300);
  expect(arrival).toBeGreaterThan(storedAt + 4 * 300 - ARRIVAL_RESOLUTION_MS);
});

test('after a restart, recovered entries count from the recovery', () => {
  const store = new MemoryStore();
  const { queue, queueId } = durable(store);
  queue.enqueue(message('old'));
  time += 60_000;
  const again = new Queue(
    { vhost: '/', name: 'q', durable: true, autoDelete: false, exclusiveOwner: null, arguments: {}, clock },
    { unused: () => undefined },
    { store, queueId },
  );
  again.recover(store.queueStats(queueId));
  expect(again.oldestReadyArrival).toBe(time);
});

test('a priority queue: the oldest ready message may wait in a lower level than the head', () => {
  const { queue } = durable(new MemoryStore(), { 'x-max-priority': 5 });
  queue.enqueue(message('low', 1));
  time += 2_000;
  queue.enqueue(message('high', 5));
  expect(queue.headMessage?.body.toString()).toBe('high');
  expect(queue.oldestReadyArrival).toBe(time - 2_000);
});
