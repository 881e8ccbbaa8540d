import { MethodId } from '../protocol/generated/amqp';

interface Sender {
  send(id: number, args: object): void;
}

/**
 * Publisher confirms of one channel. Publishes get sequence numbers from 1; settled ones are collected
 * during a turn and flushed as few basic.ack/basic.nack frames as possible (multiple=true for runs).
 */
export class ConfirmTracker {
  private lastSeq = 0;
  /** Every sequence number <= this has been confirmed to the client. */
  private confirmedThrough = 0;
  private readonly settled: number[] = [];
  private readonly nacked = new Set<number>();
  /** Sequence numbers confirmed individually past a gap; absorbed into confirmedThrough once the gap fills. */
  private readonly ahead = new Set<number>();

  next(): number {
    return ++this.lastSeq;
  }

  settle(seq: number, ok: boolean): void {
    this.settled.push(seq);
    if (!ok) this.nacked.add(seq);
  }

  flush(sender: Sender): void {
    const settled = this.settled;
    if (settled.length === 0) return;
    settled.sort(numeric);
    let i = 0;
    // A run starting right after what was already confirmed, with no nacks, goes out as one multiple ack.
    let runEnd = this.confirmedThrough;
    while (i < settled.length && settled[i] === runEnd + 1 && !this.nacked.has(runEnd + 1)) {
      runEnd++;
      i++;
    }
    if (runEnd > this.confirmedThrough) {
      sender.send(MethodId.BasicAck, { deliveryTag: runEnd, multiple: runEnd - this.confirmedThrough > 1 });
      this.confirmedThrough = runEnd;
    }
    for (; i < settled.length; i++) {
      const seq = settled[i] as number;
      const ok = !this.nacked.delete(seq);
      sender.send(ok ? MethodId.BasicAck : MethodId.BasicNack, { deliveryTag: seq, multiple: false, requeue: false });
      this.ahead.add(seq);
    }
    while (this.ahead.delete(this.confirmedThrough + 1)) this.confirmedThrough++;
    settled.length = 0;
  }
}

function numeric(a: number, b: number): number {
  return a - b;
}
