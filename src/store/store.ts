import type { FieldTable } from '../protocol/field-table';

/*
 * The Store is broker-shaped, not SQLite-shaped: it speaks of exchanges, queues, bindings, persistent messages,
 * users, vhosts and permissions, so a memory, SQLite or PostgreSQL store can sit behind it.
 *
 * Writes are synchronous calls that the implementation may batch (group commit). afterCommit() says when a
 * write is durable; flush() resolves when everything written so far is. Reads see every earlier write, batched or not.
 */

export interface ExchangeRecord {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
}

export interface QueueRecord {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
}

/** A queue as stored: its record plus the store's id for it, used by every message operation. */
export interface StoredQueue extends QueueRecord {
  readonly id: number;
}

export interface BindingRecord {
  readonly vhost: string;
  readonly source: string;
  readonly destination: string;
  readonly destinationKind: 'queue' | 'exchange';
  readonly routingKey: string;
  readonly arguments: FieldTable;
}

export interface Definitions {
  readonly exchanges: ExchangeRecord[];
  readonly queues: StoredQueue[];
  readonly bindings: BindingRecord[];
}

/** A persistent message. The broker assigns ids (nextMessageId); one message may sit in several queues. */
export interface MessageRecord {
  readonly id: number;
  readonly exchange: string;
  readonly routingKey: string;
  /** Content-header property flags and list, as received. */
  readonly properties: Buffer;
  readonly body: Buffer;
  /** Its entries start redelivered (a delayed message routed again after an unclean stop); absent otherwise. */
  readonly redelivered?: boolean;
}

/** A message's place in one queue. */
export interface StoredEntry {
  readonly seq: number;
  /** True once the entry was delivered (and not settled) before, so it comes back redelivered. */
  readonly redelivered: boolean;
  /** When the entry expires, in ms since the epoch; 0 when it never does. */
  readonly expiresAt: number;
  readonly message: MessageRecord;
}

/**
 * A message held back by a delayed-message exchange (x-delayed-message) until dueAt, then routed through that
 * exchange. The broker assigns ids (nextDelayedId).
 */
export interface DelayedRecord {
  readonly id: number;
  readonly vhost: string;
  /** The delayed exchange the message was published to, and will be routed through when due. */
  readonly exchange: string;
  readonly routingKey: string;
  /** Content-header property flags and list, as they are to be routed. */
  readonly properties: Buffer;
  readonly body: Buffer;
  /** When the message is due, in ms since the epoch. */
  readonly dueAt: number;
}

/**
 * A message set aside: it could not be read back from the store, or its delivery failed twice. It is kept, with
 * where it was and why, so an operator can look at it (GET /api/leveret/quarantine); nothing routes or delivers it.
 */
export interface QuarantineRecord {
  readonly vhost: string;
  /** The queue it was taken from; '' for a delayed message that was not in a queue yet. */
  readonly queue: string;
  readonly reason: string;
  /** When it was set aside, ms since the epoch. */
  readonly at: number;
  readonly exchange: string;
  readonly routingKey: string;
  /** As stored: possibly not a well-formed property list (that may be why it is here). */
  readonly properties: Buffer;
  readonly body: Buffer;
}

/** A quarantined message as read back: its record and the store's id for it. */
export interface StoredQuarantine extends QuarantineRecord {
  readonly id: number;
}

/**
 * One entry of the audit log: a change (or a refused attempt at one) to definitions, users or permissions. The store
 * keeps it as given and never interprets it; `details` is small JSON text made by the caller (never a password).
 */
export interface AuditRecord {
  /** When, ms since the epoch. */
  readonly at: number;
  /** Who: the user name ('' for the broker itself). */
  readonly user: string;
  /** 'http' | 'amqp' | 'definitions' | 'broker' */
  readonly source: string;
  /** From where: the client's address ('' when none). */
  readonly peer: string;
  /** '' for broker-wide objects (users, global parameters). */
  readonly vhost: string;
  /** e.g. 'queue.declare', 'user.put', 'permission.delete' */
  readonly action: string;
  readonly objectType: string;
  readonly objectName: string;
  /** JSON text of a small object. */
  readonly details: string;
  readonly result: 'ok' | 'refused';
  /** Why it was refused; '' when ok. */
  readonly reason: string;
}

/** An audit entry as read back: its record and the store's id for it (ids grow with time). */
export interface StoredAudit extends AuditRecord {
  readonly id: number;
}

/** Which audit entries to read: every given field must match (action: exactly, or `action` + '.' as a prefix). */
export interface AuditFilter {
  /** at >= since */
  readonly since?: number;
  /** at <= until */
  readonly until?: number;
  readonly user?: string;
  readonly action?: string;
  readonly vhost?: string;
}

export interface QueueStats {
  /** Entries stored for the queue. */
  readonly messages: number;
  /** Sum of their body sizes. */
  readonly bytes: number;
  /** Highest seq ever stored for the queue (0 when none); new entries must use higher ones. */
  readonly lastSeq: number;
}

export interface VhostRecord {
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly defaultQueueType?: string;
}

export interface UserRecord {
  readonly name: string;
  /** Base64 of the RabbitMQ-style salted hash; empty for a user who cannot log in with a password. */
  readonly passwordHash: string;
  /** e.g. 'rabbit_password_hashing_sha256' */
  readonly hashingAlgorithm: string;
  readonly tags: readonly string[];
}

export interface PermissionRecord {
  readonly user: string;
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/**
 * A runtime parameter, RabbitMQ-style: policies, operator policies, vhost and user limits, federation and shovel
 * parameters, global parameters and the like. The store keeps the value as JSON text and never interprets it.
 */
export interface ParameterRecord {
  /** e.g. 'policy', 'operator_policy', 'vhost-limits', 'user-limits', 'topic-permission', 'federation-upstream', 'global' */
  readonly component: string;
  /** '' for broker-wide records (global parameters, user limits) */
  readonly vhost: string;
  readonly name: string;
  /**
   * Any JSON value; stored as JSON text, so it loads back as JSON.parse(JSON.stringify(value)) would give it
   * (a fresh copy: changing a loaded or stored value changes nothing in the store).
   */
  readonly value: unknown;
}

export interface AccessDefinitions {
  readonly vhosts: VhostRecord[];
  readonly users: UserRecord[];
  readonly permissions: PermissionRecord[];
}

/** Told when a batch holding the writes made before afterCommit() is durable. No closure per message. */
export interface CommitListener {
  committed(token: number): void;
}

/**
 * What a store reports about its writes: the broker raises its disk alarm while they fail, and stops when the store
 * can write no more.
 */
export interface StoreHealthListener {
  /** A batch could not be written (disk full, I/O error); it waits for a retry, unconfirmed. */
  writeFailed(error: string): void;
  /** A batch was written again after failures. */
  writeRecovered(): void;
  /** Nothing more will ever be written (the writer thread is gone). */
  writerDead(error: string): void;
}

export interface Store {
  // ---- definitions ----
  /** Every durable definition, for recovery at start. */
  loadDefinitions(): Definitions;
  putExchange(record: ExchangeRecord): void;
  deleteExchange(vhost: string, name: string): void;
  /** Stores (or updates) a durable queue and returns its id; the same (vhost, name) keeps its id. */
  putQueue(record: QueueRecord): number;
  /** Deletes a queue with its entries and bindings. */
  deleteQueue(vhost: string, name: string): void;
  putBinding(record: BindingRecord): void;
  deleteBinding(record: BindingRecord): void;

  // ---- users, vhosts, permissions ----
  loadAccess(): AccessDefinitions;
  putVhost(record: VhostRecord): void;
  /**
   * Deletes a vhost with its exchanges, queues, bindings, messages, delayed messages, permissions and parameters
   * (those with this vhost; broker-wide ones, vhost '', are kept even by deleteVhost('')).
   */
  deleteVhost(name: string): void;
  putUser(record: UserRecord): void;
  /** Deletes a user and their permissions. */
  deleteUser(name: string): void;
  putPermission(record: PermissionRecord): void;
  deletePermission(user: string, vhost: string): void;

  // ---- runtime parameters ----
  /** Every stored parameter, in no particular order; sees every earlier write. */
  loadParameters(): ParameterRecord[];
  /**
   * Inserts or replaces the parameter (component, vhost, name). Throws a TypeError, and stores nothing, when the
   * value cannot be written as JSON (undefined, a function, a bigint, a cycle).
   */
  putParameter(record: ParameterRecord): void;
  /** Deletes one parameter; nothing happens when there is none. */
  deleteParameter(component: string, vhost: string, name: string): void;

  // ---- persistent messages ----
  /** A message id never used before in this store (survives restarts). */
  nextMessageId(): number;
  /**
   * Adds `message` to queue `queueId` at position `seq`. Enqueuing the same message id to several queues stores
   * its body once; it is removed when the last queue lets go of it. `expiresAt` (ms since the epoch; 0 or absent:
   * never) is the entry's own deadline: the same message may expire at different times in different queues.
   * `priority` is the entry's level in a priority queue (x-max-priority), given for every entry of such a queue and
   * for no other: reads that name a priority see only the entries enqueued with it.
   */
  enqueue(queueId: number, seq: number, message: MessageRecord, expiresAt?: number, priority?: number): void;
  /** The entry was delivered: after a crash it comes back with redelivered=true. */
  markDelivered(queueId: number, seq: number): void;
  /**
   * The entry is gone (acked, dropped, expired). If its enqueue is still in an unwritten batch, neither the
   * enqueue nor the removal reaches disk. `final`: the message goes nowhere else from this entry (a consumer acked
   * it, or it was discarded); not for an entry being dead-lettered or set aside. A message whose every enqueue is
   * cancelled by final removals before its batch goes has its confirm (afterCommit with its id) called then.
   */
  remove(queueId: number, seq: number, messageId: number, final?: boolean): void;
  /** Removes every entry of a queue; returns how many there were. */
  purge(queueId: number): number;
  queueStats(queueId: number): QueueStats;
  /**
   * Up to `limit` entries of a queue with seq > afterSeq, in seq order; of one priority level only when `priority`
   * is given (a priority queue pages each level on its own). Indexed either way.
   */
  loadEntries(queueId: number, afterSeq: number, limit: number, priority?: number): StoredEntry[];
  /**
   * The seq of the entry `offset` places after `afterSeq` in seq order (offset 0: the first one after it), of one
   * priority level when given; 0 when there is none. Walks the index only, reading no message: the browser reaches a
   * page deep in a queue without loading the entries before it.
   */
  entrySeqAt(queueId: number, afterSeq: number, offset: number, priority?: number): number;
  /** How many entries of a queue have afterSeq < seq < beforeSeq (of one priority level when given); index only. */
  countEntries(queueId: number, afterSeq: number, beforeSeq: number, priority?: number): number;
  /**
   * The earliest deadline (expiresAt > 0) among the queue's entries with seq > afterSeq (and of that priority level
   * when given); 0 when none of them expires. Indexed: cheap however many entries the queue holds.
   */
  nextExpiry(queueId: number, afterSeq: number, priority?: number): number;
  /**
   * Up to `limit` entries of the queue with seq > afterSeq (and of that priority level when given) and
   * 0 < expiresAt <= now, ordered by expiresAt then seq. The store removes nothing: the caller remove()s what it drops.
   */
  loadExpired(queueId: number, afterSeq: number, now: number, limit: number, priority?: number): StoredEntry[];

  // ---- delayed messages (x-delayed-message exchanges) ----
  /** A delayed-message id never used before in this store (survives restarts). */
  nextDelayedId(): number;
  /** Keeps a delayed message until removeDelayed. Batched like every write (afterCommit covers it). */
  putDelayed(record: DelayedRecord): void;
  /**
   * The delayed message was routed (or dropped). If its putDelayed is still in an unwritten batch, neither
   * reaches disk. Removing an unknown id does nothing.
   */
  removeDelayed(id: number): void;
  /** Up to `limit` delayed messages with dueAt <= now, ordered by dueAt then id. Sees every earlier write. */
  loadDue(now: number, limit: number): DelayedRecord[];
  /** The smallest dueAt of all delayed messages; 0 when there are none. Sees every earlier write. */
  nextDue(): number;
  /** Drops every delayed message of one exchange (the exchange was deleted). */
  deleteDelayed(vhost: string, exchange: string): void;
  /** How many delayed messages one exchange holds (management; may cost a scan of that exchange's rows). */
  delayedCount(vhost: string, exchange: string): number;
  /**
   * When (ms since the epoch) an open of this store last found that the broker before had stopped uncleanly; 0 if
   * never. A delayed message due by then may have been routed and delivered by that broker in a batch that never
   * reached disk: the scheduler routes it again with its entries marked redelivered.
   */
  lastUncleanStopAt(): number;

  // ---- quarantine ----
  /** Keeps a message set aside. Batched like every write: an entry removed in the same turn goes in one commit. */
  quarantine(record: QuarantineRecord): void;
  /** Up to `limit` quarantined messages, oldest first; of one vhost when given. Sees every earlier write. */
  loadQuarantine(limit: number, vhost?: string): StoredQuarantine[];
  /** How many messages are quarantined (of one vhost when given). */
  quarantineCount(vhost?: string): number;

  // ---- audit log ----
  /** Appends an entry. Batched like every write: a declare storm's entries ride in the declares' commits. */
  audit(record: AuditRecord): void;
  /** Up to `limit` entries matching the filter, newest first. Sees every earlier write. */
  loadAudit(filter: AuditFilter, limit: number): StoredAudit[];
  /** How many entries match the filter. */
  auditCount(filter: AuditFilter): number;
  /**
   * Drops the entries older than `before` (ms since the epoch) and all but the newest `keep`. Batched like every
   * write. deleteVhost keeps a vhost's entries: the log outlives what it describes.
   */
  pruneAudit(keep: number, before: number): void;

  // ---- durability ----
  /** True while writes fail and wait for a retry, or can never be written again; absent: writes cannot fail. */
  readonly writeFailing?: boolean;
  /** Tells `listener` when writes start failing, recover, or stop for good (absent: a store whose writes cannot fail). */
  onWriteHealth?(listener: StoreHealthListener): void;
  /**
   * True while a write has waited for its commit longer than the store's stall bound (a database out of reach): a
   * durable queue then holds its deliveries, since no ack could be committed, and each one delivered would come back
   * after a takeover (issue 17). Absent: never (a local store).
   */
  readonly deliveriesHeld?: boolean;
  /** Tells `listener` each time deliveriesHeld turns false again. */
  onDeliveriesResumed?(listener: () => void): void;
  /**
   * Calls listener.committed(token) once every write made before this call is durable. With `messageId` (a
   * publisher confirm of that message, given right after its enqueues): a store with group commit may call it
   * sooner, once the message needs no write at all because every queue's entry of it was removed with `final`
   * before its batch went (RabbitMQ confirms a message acked everywhere before its write the same way); until its
   * batch goes, the call waits on that message alone, and after that on the batch as before.
   */
  afterCommit(listener: CommitListener, token: number, messageId?: number): void;
  /** Resolves once every earlier write is durable. */
  flush(): Promise<void>;
  /** Flushes and releases the store (and its data-directory lock). */
  close(): Promise<void>;
}
