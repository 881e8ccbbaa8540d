import { CommitListeners } from './commit-listeners';
import type { CommitListener } from './store';

class Calls implements CommitListener {
  readonly tokens: number[] = [];
  committed(token: number): void {
    this.tokens.push(token);
  }
}

describe('CommitListeners', () => {
  test('listeners wait for their batch: those of later batches stay until those batches are reported', () => {
    const l = new CommitListeners();
    const calls = new Calls();
    l.add(calls, 1);
    l.add(calls, 2);
    l.holdPending(1); // batch 1 sent
    l.add(calls, 3);
    l.holdPending(1); // nothing new to write: waits for the last batch sent
    l.add(calls, 4);
    l.holdPending(2);
    l.callCommitted(() => undefined);
    expect(calls.tokens).toEqual([]);
    l.commitThrough(1);
    expect(l.hasCommitted).toBe(true);
    l.callCommitted(() => undefined);
    expect(calls.tokens).toEqual([1, 2, 3]);
    l.commitThrough(2);
    l.callCommitted(() => undefined);
    expect(calls.tokens).toEqual([1, 2, 3, 4]);
    expect(l.hasCommitted).toBe(false);
  });

  test('a report covering several batches releases them all, in order; pending ones commit directly when written inline', () => {
    const l = new CommitListeners();
    const calls = new Calls();
    for (let seq = 1; seq <= 3; seq++) {
      l.add(calls, seq * 10);
      l.holdPending(seq);
    }
    l.add(calls, 99);
    l.commitThrough(3);
    l.commitPending();
    l.callCommitted(() => undefined);
    expect(calls.tokens).toEqual([10, 20, 30, 99]);
  });

  test('one listener that throws is reported; the others still run', () => {
    const l = new CommitListeners();
    const calls = new Calls();
    const errors: unknown[] = [];
    l.add(calls, 1);
    l.add({ committed: () => { throw new Error('boom'); } }, 2);
    l.add(calls, 3);
    l.commitPending();
    l.callCommitted((err) => errors.push(err));
    expect(calls.tokens).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
  });
});
