import type { Message } from './message';

/**
 * A queue's counts and byte sums beside its entries: ready and unacknowledged messages, and the persistent ones among
 * them. One place each for in and out. Only a durable queue's persistent messages count as persistent, as in
 * RabbitMQ (a transient queue stores nothing).
 */
export class QueueFigures {
  /**
   * Deliveries that need an ack and are not settled yet (messages_unacknowledged): counted when they leave the
   * ready list (drain to a consumer without noAck, take(false)), uncounted by settle() or requeue().
   */
  unackedCount = 0;
  /** Body bytes of the ready messages (memory and stored tail): message_bytes_ready and x-max-length-bytes. */
  readyBytes = 0;
  /** Body bytes of the unacknowledged deliveries (message_bytes_unacknowledged), kept with unackedCount. */
  unackedBytes = 0;
  /** Persistent messages of a durable queue, ready and unacknowledged, and their body bytes (messages_persistent). */
  private readyPersistent = 0;
  private readyPersistentBytes = 0;
  private unackedPersistent = 0;
  private unackedPersistentBytes = 0;

  /** `stores`: the queue is durable and keeps its persistent messages in the store. */
  constructor(private readonly stores: boolean) {}

  get persistentCount(): number {
    return this.readyPersistent + this.unackedPersistent;
  }

  get persistentBytes(): number {
    return this.readyPersistentBytes + this.unackedPersistentBytes;
  }

  /** Start-up: the store holds `messages` persistent ready messages of `bytes` body bytes. */
  recover(messages: number, bytes: number): void {
    this.readyBytes = bytes;
    this.readyPersistent = messages;
    this.readyPersistentBytes = bytes;
  }

  readyIn(message: Message): void {
    this.readyBytes += message.body.length;
    if (message.persistent && this.stores) {
      this.readyPersistent++;
      this.readyPersistentBytes += message.body.length;
    }
  }

  readyOut(message: Message): void {
    this.readyBytes -= message.body.length;
    if (message.persistent && this.stores) this.persistentReadyOut(message.body.length);
  }

  /** A stored record (of `bytes` body bytes, possibly unreadable) left the ready messages. */
  storedOut(bytes: number): void {
    this.readyBytes -= bytes;
    if (this.stores) this.persistentReadyOut(bytes);
  }

  unackedIn(message: Message): void {
    this.unackedCount++;
    this.unackedBytes += message.body.length;
    if (message.persistent && this.stores) {
      this.unackedPersistent++;
      this.unackedPersistentBytes += message.body.length;
    }
  }

  unackedOut(message: Message): void {
    if (this.unackedCount === 0) return;
    this.unackedCount--;
    this.unackedBytes = Math.max(0, this.unackedBytes - message.body.length);
    if (message.persistent && this.stores) {
      this.unackedPersistent = Math.max(0, this.unackedPersistent - 1);
      this.unackedPersistentBytes = Math.max(0, this.unackedPersistentBytes - message.body.length);
    }
  }

  /** Every ready message left (purge, delete). */
  clearReady(): void {
    this.readyBytes = 0;
    this.readyPersistent = 0;
    this.readyPersistentBytes = 0;
  }

  private persistentReadyOut(bytes: number): void {
    this.readyPersistent = Math.max(0, this.readyPersistent - 1);
    this.readyPersistentBytes = Math.max(0, this.readyPersistentBytes - bytes);
  }
}
