/**
 * The ha-test's count (ledger.ts) and summary arithmetic (report.ts, faults.ts), on made-up histories: each rule
 * of the count on its own, so a harness that counts wrong is caught without a broker.
 */
import { Rng } from '../../src/protocol/test-support/random';
import { faultPlan } from './faults';
import { Ledger } from './ledger';
import { percentile, spread } from './report';

test('a clean history: published, confirmed, received once each; nothing lost, duplicated or unexpected', () => {
  const l = new Ledger(undefined);
  l.publish('p0.0', 0, 'q', 1);
  l.publish('p0.1', 0, 'q', 2);
  l.confirm('p0.0', 0, 1, 3);
  l.confirm('p0.1', 0, 2, 4);
  l.deliver('p0.0', 0, 'q', false, 0, 5);
  l.deliver('p0.1', 0, 'q', false, 0, 6);
  expect(l.check().counts).toMatchObject({ published: 2, confirmed: 2, received: 2, lost: 0, duplicates: 0, unexpected: 0, missingRedelivered: 0, unconfirmedAtEnd: 0 });
});

test('lost: confirmed and never delivered; an unconfirmed id never delivered is not lost, but unconfirmed at the end', () => {
  const l = new Ledger(undefined);
  l.publish('a', 0, 'q', 1);
  l.publish('b', 0, 'q', 1);
  l.confirm('a', 0, 1, 2);
  const { counts, examples } = l.check();
  expect(counts).toMatchObject({ lost: 1, unconfirmedAtEnd: 1, received: 0 });
  expect(examples.join('\n')).toMatch(/^lost: a /m);
});

test('the same copy again: a duplicate, fine with the redelivered flag, a failure without it', () => {
  const l = new Ledger(undefined);
  l.publish('a', 0, 'q', 1);
  l.confirm('a', 0, 1, 2);
  l.deliver('a', 0, 'q', false, 0, 3);
  l.deliver('a', 0, 'q', true, 1, 4);
  expect(l.check().counts).toMatchObject({ duplicates: 1, redeliveries: 1, republishedCopies: 0, missingRedelivered: 0 });
  l.deliver('a', 0, 'q', false, 0, 5);
  expect(l.check().counts).toMatchObject({ duplicates: 2, redeliveries: 2, missingRedelivered: 1 });
});

test('a re-published copy: a duplicate the client made, delivered without the flag, and not a flag failure', () => {
  const l = new Ledger(undefined);
  l.publish('a', 0, 'q', 1);
  l.publish('a', 1, 'q', 5); // re-published after a reconnect: the first copy's confirm never came
  l.confirm('a', 1, 5, 6);
  l.deliver('a', 0, 'q', false, 0, 7);
  l.deliver('a', 1, 'q', false, 0, 8);
  expect(l.check().counts).toMatchObject({
    published: 1,
    publishedCopies: 2,
    duplicates: 1,
    redeliveries: 0,
    republishedCopies: 1,
    missingRedelivered: 0,
    idAgainWithoutFlag: 1,
    lost: 0,
  });
});

test('each duplicate is charged to the fault that caused it, even when it arrives faults later', () => {
  const l = new Ledger(undefined);
  for (const id of ['a', 'b', 'c', 'd']) l.publish(id, 0, 'q', 1);
  l.deliver('a', 0, 'q', false, 0, 2);
  l.deliver('b', 0, 'q', false, 0, 2);
  l.markFault(); // fault 1: a's and b's acks lost; c re-published in its aftermath
  l.deliver('d', 0, 'q', false, 0, 3); // delivered by the old leader while fault 1 is under way
  l.publish('c', 1, 'q', 3);
  l.markRecovered();
  l.deliver('a', 0, 'q', true, 0, 4); // the redelivery: fault 1
  l.deliver('c', 0, 'q', false, 0, 4); // a first delivery: no duplicate
  l.markFault(); // fault 2
  l.markRecovered();
  l.markFault(); // fault 3
  l.markRecovered();
  l.deliver('b', 0, 'q', true, 0, 5); // a backlog: b comes back only now, still fault 1's doing
  l.deliver('d', 0, 'q', true, 0, 5); // d's ack was lost in fault 1 too, though d was delivered after it began
  l.deliver('c', 1, 'q', false, 0, 5); // the re-published copy: fault 1
  l.deliver('a', 0, 'q', true, 0, 6); // a again, last delivered after fault 1 settled: fault 2's
  expect(l.duplicatesPerFault).toEqual([0, 4, 1, 0]);
  expect(l.check().counts).toMatchObject({ duplicates: 5, redeliveries: 4, republishedCopies: 1 });
});

test('unexpected: a copy nobody published, an id nobody published, or the right id on the wrong queue', () => {
  const l = new Ledger(undefined);
  l.publish('a', 0, 'q', 1);
  l.deliver('a', 1, 'q', false, 0, 2);
  l.deliver('zzz', 0, 'q', false, 0, 3);
  l.deliver('a', 0, 'other', false, 0, 4);
  expect(l.check().counts).toMatchObject({ unexpected: 3, received: 0 });
});

test('waitConfirmAfter: only a confirm of a message published at or after the mark counts, and it times out', async () => {
  const l = new Ledger(undefined);
  l.publish('old', 0, 'q', 100);
  l.publish('new', 0, 'q', 200);
  const waiting = l.waitConfirmAfter(150, 1000);
  l.confirm('old', 0, 100, 300); // published before the fault: says nothing about the failover
  l.confirm('new', 0, 200, 400);
  await expect(waiting).resolves.toBe(400);
  await expect(l.waitConfirmAfter(500, 50)).resolves.toBeUndefined();
});

test('percentiles (nearest rank) and the fault plan (counts kept, order seeded)', () => {
  expect(percentile([], 50)).toBeNull();
  const xs = Array.from({ length: 20 }, (_, i) => i + 1);
  expect(percentile(xs, 50)).toBe(10);
  expect(percentile(xs, 95)).toBe(19);
  expect(spread([3, 1, 2])).toEqual({ count: 3, p50: 2, p95: 3, max: 3 });
  const counts = { kill: 5, pause: 3, partition: 2, 'pg-restart': 1 };
  const a = faultPlan(counts, new Rng(7));
  expect(a.filter((k) => k === 'kill')).toHaveLength(5);
  expect(a).toHaveLength(11);
  expect(faultPlan(counts, new Rng(7))).toEqual(a);
  expect(faultPlan(counts, new Rng(8))).not.toEqual(a);
});
