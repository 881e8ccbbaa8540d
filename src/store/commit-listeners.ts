import type { CommitListener } from './store';

/*
 * The afterCommit listeners of a store with group commit, in the three places a listener passes through:
 *   pending   registered while the current batch is being buffered;
 *   in flight its batch was handed to a writer thread and waits for the thread's report (by batch number);
 *   committed its batch is on disk; it is called next, in registration order.
 * Listeners are kept as parallel arrays of listener and token, so registering one allocates nothing per call.
 */
export class CommitListeners {
  private pending: CommitListener[] = [];
  private pendingTokens: number[] = [];
  private readonly inflightSeqs: number[] = [];
  private readonly inflight: CommitListener[][] = [];
  private readonly inflightTokens: number[][] = [];
  private committed: CommitListener[] = [];
  private committedTokens: number[] = [];

  add(listener: CommitListener, token: number): void {
    this.pending.push(listener);
    this.pendingTokens.push(token);
  }

  /** A listener whose write is not needed any more (its message was acked everywhere before it was written). */
  addCommitted(listener: CommitListener, token: number): void {
    this.committed.push(listener);
    this.committedTokens.push(token);
  }

  get hasCommitted(): boolean {
    return this.committed.length > 0;
  }

  /** The pending listeners' batch is on disk. */
  commitPending(): void {
    if (this.pending.length === 0) return;
    append(this.committed, this.committedTokens, this.pending, this.pendingTokens);
    this.pending = [];
    this.pendingTokens = [];
  }

  /** The pending listeners wait for batch `seq` (sent, or the last one sent when they came after it). */
  holdPending(seq: number): void {
    if (this.pending.length === 0) return;
    const n = this.inflightSeqs.length;
    if (n > 0 && this.inflightSeqs[n - 1] === seq) {
      append(this.inflight[n - 1]!, this.inflightTokens[n - 1]!, this.pending, this.pendingTokens);
    } else {
      this.inflightSeqs.push(seq);
      this.inflight.push(this.pending);
      this.inflightTokens.push(this.pendingTokens);
    }
    this.pending = [];
    this.pendingTokens = [];
  }

  /** Batches up to `seq` are on disk. */
  commitThrough(seq: number): void {
    let n = 0;
    while (n < this.inflightSeqs.length && this.inflightSeqs[n]! <= seq) n++;
    for (let i = 0; i < n; i++) append(this.committed, this.committedTokens, this.inflight[i]!, this.inflightTokens[i]!);
    this.inflightSeqs.splice(0, n);
    this.inflight.splice(0, n);
    this.inflightTokens.splice(0, n);
  }

  /** Calls the committed listeners in order; one that throws is reported and the others still run. */
  callCommitted(onError: (err: unknown) => void): void {
    const listeners = this.committed;
    const tokens = this.committedTokens;
    this.committed = [];
    this.committedTokens = [];
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!.committed(tokens[i]!);
      } catch (err) {
        onError(err);
      }
    }
  }
}

function append(to: CommitListener[], toTokens: number[], from: CommitListener[], fromTokens: number[]): void {
  for (let i = 0; i < from.length; i++) {
    to.push(from[i]!);
    toTokens.push(fromTokens[i]!);
  }
}
