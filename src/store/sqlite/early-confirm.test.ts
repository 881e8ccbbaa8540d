/**
 * Confirms that need no write (issue 18): a publisher confirm given with its message id (afterCommit's third
 * argument) is called as soon as every queue's entry of that message is removed with `final` (an ack) before the
 * batch holding its enqueue goes; nothing of it is written. Every other case still waits for the commit.
 * pending.ts and group-commit-base.ts hold the logic; SQLite and PostgreSQL share it.
 */
import fs from 'node:fs';
import type { MessageRecord, Store } from '../store';
import { SqliteStore } from './store';
import { Calls, tempDir } from './test-support/helpers';

function msg(store: Store, body: string): MessageRecord {
  return { id: store.nextMessageId(), exchange: '', routingKey: 'q', properties: Buffer.alloc(2), body: Buffer.from(body) };
}

const microtask = (): Promise<void> => new Promise<void>((resolve) => queueMicrotask(resolve));
const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

describe('confirms of messages acked before their write', () => {
  let dir: string;
  let s: SqliteStore;
  let q1: number;
  let q2: number;

  beforeEach(async () => {
    dir = tempDir();
    s = SqliteStore.open({ dataDir: dir, writerThread: 'never' });
    q1 = s.putQueue({ vhost: '/', name: 'q1', durable: true, autoDelete: false, arguments: {} });
    q2 = s.putQueue({ vhost: '/', name: 'q2', durable: true, autoDelete: false, arguments: {} });
    await s.flush();
  });
  afterEach(async () => {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('acked in every queue before the batch goes: confirmed on a microtask, never written', async () => {
    const written = s.counters().opsWritten;
    const commits = s.counters().commits;
    const calls = new Calls();
    const m = msg(s, 'gone before written');
    s.enqueue(q1, 1, m);
    s.enqueue(q2, 1, m);
    s.afterCommit(calls, 7, m.id);
    s.markDelivered(q1, 1);
    s.remove(q1, 1, m.id, true);
    expect(calls.tokens).toEqual([]); // the second queue still holds it
    s.remove(q2, 1, m.id, true);
    expect(calls.tokens).toEqual([]); // never inside the store call
    await microtask();
    expect(calls.tokens).toEqual([7]);
    expect(s.counters().commits).toBe(commits); // confirmed with no commit at all
    await s.flush();
    expect(s.counters().opsWritten).toBe(written);
    expect(s.countRows('messages')).toBe(0);
    expect(s.countRows('queue_entries')).toBe(0);
    expect(calls.tokens).toEqual([7]); // once
  });

  test('a removal that is not final (dead-lettering) keeps the confirm waiting for the commit', async () => {
    const calls = new Calls();
    const m = msg(s, 'dead-lettered from one queue, acked in the other');
    s.enqueue(q1, 1, m);
    s.enqueue(q2, 1, m);
    s.afterCommit(calls, 1, m.id);
    s.remove(q1, 1, m.id); // not final: the copy it became is written in this batch
    const copy = msg(s, 'the dead-lettered copy');
    s.enqueue(q2, 2, copy);
    s.remove(q2, 1, m.id, true);
    await microtask();
    expect(calls.tokens).toEqual([]);
    await nextTurn();
    await s.flush();
    expect(calls.tokens).toEqual([1]);
    expect(s.countRows('queue_entries')).toBe(1);
  });

  test('one queue acked, another not: the confirm waits for the write of the other', async () => {
    const calls = new Calls();
    const m = msg(s, 'half acked');
    s.enqueue(q1, 1, m);
    s.enqueue(q2, 1, m);
    s.afterCommit(calls, 1, m.id);
    s.remove(q1, 1, m.id, true);
    await microtask();
    expect(calls.tokens).toEqual([]);
    await s.flush();
    expect(calls.tokens).toEqual([1]);
    expect(s.countRows('messages')).toBe(1);
    expect(s.countRows('queue_entries')).toBe(1);
  });

  test('a queue deleted under the message keeps the confirm waiting for the commit', async () => {
    const calls = new Calls();
    const m = msg(s, 'queue gone');
    s.enqueue(q1, 1, m);
    s.enqueue(q2, 1, m);
    s.afterCommit(calls, 1, m.id);
    s.deleteQueue('/', 'q2');
    s.remove(q1, 1, m.id, true);
    await microtask();
    expect(calls.tokens).toEqual([]);
    await s.flush();
    expect(calls.tokens).toEqual([1]);
  });

  test('acked after its batch went: confirmed by that commit, and the removal is written by the next batch', async () => {
    const calls = new Calls();
    const m = msg(s, 'acked in flight');
    s.enqueue(q1, 1, m);
    s.afterCommit(calls, 1, m.id);
    await nextTurn(); // the batch goes (the inline writer commits it in that turn)
    expect(calls.tokens).toEqual([1]);
    expect(s.countRows('queue_entries')).toBe(1);
    const cancelled = s.counters().cancelled;
    s.remove(q1, 1, m.id, true);
    await s.flush();
    expect(s.counters().cancelled).toBe(cancelled);
    expect(s.countRows('queue_entries')).toBe(0);
    expect(s.countRows('messages')).toBe(0);
  });

  test('confirms given without a message id, or for a message with an enqueue in an earlier batch, wait for the commit', async () => {
    const plain = new Calls();
    const m = msg(s, 'no id given');
    s.enqueue(q1, 1, m);
    s.afterCommit(plain, 1);
    s.remove(q1, 1, m.id, true);
    await microtask();
    expect(plain.tokens).toEqual([]);
    await s.flush();
    expect(plain.tokens).toEqual([1]);

    // The id was handed out before this batch began (as when a full batch went between two queues' enqueues).
    const early = msg(s, 'split across batches');
    s.enqueue(q1, 2, early);
    await s.flush();
    const split = new Calls();
    s.enqueue(q2, 2, early);
    s.afterCommit(split, 2, early.id);
    s.remove(q2, 2, early.id, true);
    await microtask();
    expect(split.tokens).toEqual([]); // q1's entry of it is not acked
    await s.flush();
    expect(split.tokens).toEqual([2]);
    expect(s.countRows('queue_entries')).toBe(1);
  });

  test('confirms keep being answered across many batches, early or after their commit, each exactly once', async () => {
    const calls = new Calls();
    const expected: number[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 1; i <= 50; i++) {
        const seq = round * 50 + i;
        const m = msg(s, `m${seq}`);
        s.enqueue(q1, seq, m);
        s.afterCommit(calls, seq, m.id);
        expected.push(seq);
        if (i % 2 === 0) s.remove(q1, seq, m.id, true); // half acked at once
      }
      await nextTurn();
    }
    await s.flush();
    expect([...calls.tokens].sort((a, b) => a - b)).toEqual(expected);
    expect(s.countRows('queue_entries')).toBe(500);
  });
});
