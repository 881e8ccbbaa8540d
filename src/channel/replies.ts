import { MethodId } from '../protocol/generated/amqp';
import type { Channel } from './channel';

/** afterCommit token for a tx.commit waiting on the store; publish confirms use sequence numbers from 1. */
export const TX_COMMIT_TOKEN = 0;
/** afterCommit token for a definition method's reply waiting on the store (replies queue in order). */
export const DEFINITION_REPLY_TOKEN = -1;
const TX_COMMIT_OK = { id: MethodId.TxCommitOk, args: {} } as const;

/** A synchronous reply waiting for the store, and the basic.cancel notifications that follow it. */
interface PendingReply {
  readonly id: number;
  readonly args: object;
  cancels?: string[];
}

/**
 * The synchronous replies a channel owes while the store commits (durable declares and deletes, tx.commit-ok), the
 * basic.cancel notifications held behind them, and the client's channel.close waiting for them all: every request
 * a client made is answered, in order, before its close-ok.
 */
export class ChannelReplies {
  /** Replies to durable definition changes, sent in order as the store commits them. */
  private readonly pending: PendingReply[] = [];
  /** Consumer tags whose basic.cancel waits for the reply of the queue.delete being handled (see deleting()). */
  private held: string[] | undefined;
  /** tx.commit-ok replies waiting for the store. */
  private commits = 0;
  /** Set by the client's channel.close while replies are still owed: close-ok goes out once they have gone. */
  private closeWhenReplied = false;

  constructor(private readonly channel: Channel) {}

  get owed(): boolean {
    return this.pending.length > 0 || this.commits > 0;
  }

  /**
   * Replies to a definition method. When the method wrote durable definitions (the vhost's write counter moved
   * since `writesBefore`), the reply waits for the store's commit, so a client never hears of a durable exchange,
   * queue or binding that a crash could still lose.
   */
  definition(id: number, args: object, writesBefore: number): void {
    const channel = this.channel;
    if (channel.vhost.definitionWrites === writesBefore && !this.owed) {
      channel.send(id, args);
      return;
    }
    this.pending.push({ id, args });
    channel.vhost.store.afterCommit(channel, DEFINITION_REPLY_TOKEN);
  }

  /** A tx.commit was applied: its commit-ok waits for the store. */
  commitApplied(): void {
    this.commits++;
    this.channel.vhost.store.afterCommit(this.channel, TX_COMMIT_TOKEN);
  }

  /** The store committed what a tx.commit or a definition reply waited for. */
  committed(token: number): void {
    const channel = this.channel;
    let reply: PendingReply | undefined;
    if (token === TX_COMMIT_TOKEN) {
      this.commits--;
      reply = TX_COMMIT_OK;
    } else {
      reply = this.pending.shift();
    }
    // A channel the broker closed owes nothing more; one the client is closing still sends what it owes.
    if (reply === undefined || (channel.closing && !this.closeWhenReplied)) return;
    channel.send(reply.id, reply.args);
    if (reply.cancels !== undefined) this.sendCancels(reply.cancels);
    if (this.closeWhenReplied && !this.owed) {
      this.closeWhenReplied = false;
      channel.lifecycle.closedByClient(channel.id);
    }
  }

  /** The client's channel.close: close-ok now, or once the owed replies have gone out. */
  closeByClient(): void {
    if (this.owed) this.closeWhenReplied = true;
    else this.channel.lifecycle.closedByClient(this.channel.id);
  }

  /**
   * Runs a queue deletion the channel asked for, `reply` being its delete-ok (undefined with no-wait). The
   * channel's own consumers on that queue hear basic.cancel after the delete-ok, as from RabbitMQ, whose channel
   * replies before it handles the queue's end: a client that closes the channel on the cancel has had its reply.
   */
  deleting(remove: () => number, reply: ((messageCount: number) => void) | undefined): void {
    const held: string[] = [];
    this.held = held;
    try {
      const messageCount = remove();
      reply?.(messageCount);
    } finally {
      this.held = undefined;
      if (held.length > 0) {
        const last = this.pending[this.pending.length - 1];
        if (last !== undefined) last.cancels = [...(last.cancels ?? []), ...held];
        else this.sendCancels(held);
      }
    }
  }

  /** The broker cancelled a consumer: basic.cancel now, or after the reply it is held behind. */
  cancelled(tag: string): void {
    if (this.held !== undefined) this.held.push(tag);
    else this.sendCancels([tag]);
  }

  private sendCancels(tags: readonly string[]): void {
    const channel = this.channel;
    if (!channel.session.consumerCancelNotify || channel.closing) return;
    for (const consumerTag of tags) channel.send(MethodId.BasicCancel, { consumerTag, noWait: true });
  }
}
