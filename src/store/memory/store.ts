import { canonicalArgumentsKey } from '../keys';
import { MemoryAudit } from './audit';
import { MemoryDelayed } from './delayed';
import {
  compact,
  countBetween,
  entriesOf,
  expiredOf,
  insertExpiring,
  insertInLevel,
  insertSorted,
  newQueue,
  nextExpiryOf,
  seqAt,
  type MemEntry,
  type MemQueue,
  type SharedMessage,
} from './entries';
import { encodeParameterValue } from '../parameter-value';
import type {
  AuditFilter,
  AuditRecord,
  StoredAudit,
  AccessDefinitions,
  BindingRecord,
  CommitListener,
  Definitions,
  DelayedRecord,
  ExchangeRecord,
  MessageRecord,
  ParameterRecord,
  PermissionRecord,
  QuarantineRecord,
  QueueRecord,
  QueueStats,
  Store,
  StoredQuarantine,
  StoredEntry,
  StoredQueue,
  UserRecord,
  VhostRecord,
} from '../store';

/*
 * MemoryStore keeps everything a Store keeps in process memory: for brokers started without a data dir and for
 * tests. Nothing survives the process, but a broker restarted on the same instance sees the state the last one left
 * (close() releases nothing).
 *
 * Durability: every write is "committed" as soon as the call returns. afterCommit() listeners are still never called
 * synchronously: they run in registration order on a microtask after the call (one microtask per burst, not one per
 * listener), so a caller can register a listener in the middle of a publish without being re-entered. flush()
 * resolves at once (after any listeners registered before it, since their microtask was queued first).
 *
 * Expiry: entries with a deadline are also kept in a per-queue array sorted by (expiresAt, seq), so nextExpiry and
 * loadExpired look at the earliest deadlines first. Entries with a common TTL arrive in deadline order and are
 * appended; others are inserted in place. Removed entries stay in it until compaction (like `order`). A queue's
 * entries and how they are read: entries.ts.
 *
 * Message records are kept by reference (bodies are not copied): callers must not mutate a buffer they handed over.
 * Parameter values are kept as JSON text, as SqliteStore keeps them, so both give back the same fresh values.
 */

export class MemoryStore implements Store {
  private readonly exchanges = new Map<string, ExchangeRecord>();
  private readonly queuesByName = new Map<string, MemQueue>();
  private readonly queuesById = new Map<number, MemQueue>();
  /** canonical binding key -> record */
  private readonly bindings = new Map<string, BindingRecord>();
  private readonly messages = new Map<number, SharedMessage>();
  private readonly vhosts = new Map<string, VhostRecord>();
  private readonly users = new Map<string, UserRecord>();
  private readonly permissions = new Map<string, PermissionRecord>();
  /** parameterKey(component, vhost, name) -> the parameter, its value as JSON text */
  private readonly parameters = new Map<string, StoredParameter>();
  private nextQueueId = 1;
  private lastMessageId = 0;
  private readonly delayed = new MemoryDelayed();
  private readonly quarantined: StoredQuarantine[] = [];
  private lastQuarantineId = 0;
  private readonly auditLog = new MemoryAudit();

  private listeners: CommitListener[] = [];
  private tokens: number[] = [];
  private drainScheduled = false;
  private readonly drain = (): void => this.drainListeners();

  // ---- definitions ----

  loadDefinitions(): Definitions {
    const queues: StoredQueue[] = [];
    for (const q of this.queuesById.values()) queues.push({ ...q.record, id: q.id });
    return { exchanges: [...this.exchanges.values()], queues, bindings: [...this.bindings.values()] };
  }

  putExchange(record: ExchangeRecord): void {
    this.exchanges.set(key(record.vhost, record.name), record);
  }

  deleteExchange(vhost: string, name: string): void {
    this.exchanges.delete(key(vhost, name));
    for (const [k, b] of this.bindings) {
      if (b.vhost === vhost && (b.source === name || (b.destinationKind === 'exchange' && b.destination === name))) {
        this.bindings.delete(k);
      }
    }
  }

  putQueue(record: QueueRecord): number {
    const k = key(record.vhost, record.name);
    const existing = this.queuesByName.get(k);
    if (existing) {
      existing.record = record;
      return existing.id;
    }
    const q = newQueue(this.nextQueueId++, record);
    this.queuesByName.set(k, q);
    this.queuesById.set(q.id, q);
    return q.id;
  }

  deleteQueue(vhost: string, name: string): void {
    const k = key(vhost, name);
    const q = this.queuesByName.get(k);
    if (q) {
      this.dropEntries(q);
      this.queuesByName.delete(k);
      this.queuesById.delete(q.id);
    }
    for (const [bk, b] of this.bindings) {
      if (b.vhost === vhost && b.destinationKind === 'queue' && b.destination === name) this.bindings.delete(bk);
    }
  }

  putBinding(record: BindingRecord): void {
    this.bindings.set(bindingKey(record), record);
  }

  deleteBinding(record: BindingRecord): void {
    this.bindings.delete(bindingKey(record));
  }

  // ---- users, vhosts, permissions ----

  loadAccess(): AccessDefinitions {
    return {
      vhosts: [...this.vhosts.values()],
      users: [...this.users.values()],
      permissions: [...this.permissions.values()],
    };
  }

  putVhost(record: VhostRecord): void {
    this.vhosts.set(record.name, record);
  }

  deleteVhost(name: string): void {
    this.vhosts.delete(name);
    for (const [k, e] of this.exchanges) if (e.vhost === name) this.exchanges.delete(k);
    for (const q of [...this.queuesById.values()]) {
      if (q.record.vhost === name) this.deleteQueue(name, q.record.name);
    }
    for (const [k, b] of this.bindings) if (b.vhost === name) this.bindings.delete(k);
    for (const [k, p] of this.permissions) if (p.vhost === name) this.permissions.delete(k);
    this.delayed.drop(name, undefined);
    for (let i = this.quarantined.length - 1; i >= 0; i--) if (this.quarantined[i]!.vhost === name) this.quarantined.splice(i, 1);
    if (name !== '') {
      for (const [k, p] of this.parameters) if (p.vhost === name) this.parameters.delete(k);
    }
  }

  putUser(record: UserRecord): void {
    this.users.set(record.name, record);
  }

  deleteUser(name: string): void {
    this.users.delete(name);
    for (const [k, p] of this.permissions) if (p.user === name) this.permissions.delete(k);
  }

  putPermission(record: PermissionRecord): void {
    this.permissions.set(key(record.user, record.vhost), record);
  }

  deletePermission(user: string, vhost: string): void {
    this.permissions.delete(key(user, vhost));
  }

  // ---- runtime parameters ----

  loadParameters(): ParameterRecord[] {
    const out: ParameterRecord[] = [];
    for (const p of this.parameters.values()) {
      out.push({ component: p.component, vhost: p.vhost, name: p.name, value: JSON.parse(p.json) as unknown });
    }
    return out;
  }

  putParameter(record: ParameterRecord): void {
    const json = encodeParameterValue(record.value);
    const { component, vhost, name } = record;
    this.parameters.set(parameterKey(component, vhost, name), { component, vhost, name, json });
  }

  deleteParameter(component: string, vhost: string, name: string): void {
    this.parameters.delete(parameterKey(component, vhost, name));
  }

  // ---- persistent messages ----

  nextMessageId(): number {
    return ++this.lastMessageId;
  }

  enqueue(queueId: number, seq: number, message: MessageRecord, expiresAt = 0, priority?: number): void {
    const q = this.queuesById.get(queueId);
    if (!q) return; // the queue is gone: nothing to keep
    let shared = this.messages.get(message.id);
    if (!shared) {
      shared = { record: message, refs: 0 };
      this.messages.set(message.id, shared);
    }
    const previous = q.entries.get(seq);
    if (previous) this.release(q, previous);
    else insertSorted(q, seq);
    shared.refs++;
    const entry: MemEntry = { seq, redelivered: message.redelivered === true, expiresAt: expiresAt > 0 ? expiresAt : 0, priority, message: shared };
    q.entries.set(seq, entry);
    if (priority !== undefined) insertInLevel(q, priority, seq);
    if (entry.expiresAt > 0) insertExpiring(q, entry);
    q.bytes += message.body.length;
    if (seq > q.lastSeq) q.lastSeq = seq;
  }

  markDelivered(queueId: number, seq: number): void {
    const entry = this.queuesById.get(queueId)?.entries.get(seq);
    if (entry) entry.redelivered = true;
  }

  remove(queueId: number, seq: number, _messageId: number): void {
    const q = this.queuesById.get(queueId);
    if (!q) return;
    const entry = q.entries.get(seq);
    if (!entry) return;
    q.entries.delete(seq);
    this.release(q, entry);
    q.dead++;
    if (q.dead > 64 && q.dead * 2 > q.order.length) compact(q);
  }

  nextExpiry(queueId: number, afterSeq: number, priority?: number): number {
    const q = this.queuesById.get(queueId);
    return q === undefined ? 0 : nextExpiryOf(q, afterSeq, priority);
  }

  loadExpired(queueId: number, afterSeq: number, now: number, limit: number, priority?: number): StoredEntry[] {
    const q = this.queuesById.get(queueId);
    return q === undefined ? [] : expiredOf(q, afterSeq, now, limit, priority);
  }

  purge(queueId: number): number {
    const q = this.queuesById.get(queueId);
    if (!q) return 0;
    const n = q.entries.size;
    this.dropEntries(q);
    return n;
  }

  queueStats(queueId: number): QueueStats {
    const q = this.queuesById.get(queueId);
    if (!q) return { messages: 0, bytes: 0, lastSeq: 0 };
    return { messages: q.entries.size, bytes: q.bytes, lastSeq: q.lastSeq };
  }

  loadEntries(queueId: number, afterSeq: number, limit: number, priority?: number): StoredEntry[] {
    const q = this.queuesById.get(queueId);
    return q === undefined || limit <= 0 ? [] : entriesOf(q, afterSeq, limit, priority);
  }

  entrySeqAt(queueId: number, afterSeq: number, offset: number, priority?: number): number {
    const q = this.queuesById.get(queueId);
    return q === undefined ? 0 : seqAt(q, afterSeq, offset, priority);
  }

  countEntries(queueId: number, afterSeq: number, beforeSeq: number, priority?: number): number {
    const q = this.queuesById.get(queueId);
    return q === undefined ? 0 : countBetween(q, afterSeq, beforeSeq, priority);
  }

  // ---- delayed messages ----

  nextDelayedId(): number {
    return this.delayed.nextId();
  }

  putDelayed(record: DelayedRecord): void {
    this.delayed.put(record);
  }

  removeDelayed(id: number): void {
    this.delayed.remove(id);
  }

  loadDue(now: number, limit: number): DelayedRecord[] {
    return this.delayed.loadDue(now, limit);
  }

  nextDue(): number {
    return this.delayed.nextDue();
  }

  deleteDelayed(vhost: string, exchange: string): void {
    this.delayed.drop(vhost, exchange);
  }

  delayedCount(vhost: string, exchange: string): number {
    return this.delayed.count(vhost, exchange);
  }

  lastUncleanStopAt(): number {
    return 0; // nothing outlives the process
  }

  // ---- quarantine ----

  quarantine(record: QuarantineRecord): void {
    this.quarantined.push({ ...record, id: ++this.lastQuarantineId });
  }

  loadQuarantine(limit: number, vhost?: string): StoredQuarantine[] {
    const out: StoredQuarantine[] = [];
    for (const record of this.quarantined) {
      if (out.length >= limit) break;
      if (vhost === undefined || record.vhost === vhost) out.push(record);
    }
    return out;
  }

  quarantineCount(vhost?: string): number {
    if (vhost === undefined) return this.quarantined.length;
    let n = 0;
    for (const record of this.quarantined) if (record.vhost === vhost) n++;
    return n;
  }

  // ---- audit log ----

  audit(record: AuditRecord): void {
    this.auditLog.add(record);
  }

  loadAudit(filter: AuditFilter, limit: number): StoredAudit[] {
    return this.auditLog.load(filter, limit);
  }

  auditCount(filter: AuditFilter): number {
    return this.auditLog.count(filter);
  }

  pruneAudit(keep: number, before: number): void {
    this.auditLog.prune(keep, before);
  }

  // ---- durability ----

  afterCommit(listener: CommitListener, token: number): void {
    this.listeners.push(listener);
    this.tokens.push(token);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(this.drain);
    }
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  // ---- internals ----

  private drainListeners(): void {
    this.drainScheduled = false;
    const listeners = this.listeners;
    const tokens = this.tokens;
    this.listeners = [];
    this.tokens = [];
    for (let i = 0; i < listeners.length; i++) listeners[i]!.committed(tokens[i]!);
  }

  private release(q: MemQueue, entry: MemEntry): void {
    q.bytes -= entry.message.record.body.length;
    if (--entry.message.refs === 0) this.messages.delete(entry.message.record.id);
  }

  private dropEntries(q: MemQueue): void {
    for (const entry of q.entries.values()) this.release(q, entry);
    q.entries.clear();
    q.order = [];
    q.dead = 0;
    q.levels.clear();
    q.expiring = [];
    q.expiringHead = 0;
    q.bytes = 0;
  }

  /** Test aid: how many distinct message bodies are held. */
  messageCount(): number {
    return this.messages.size;
  }
}

interface StoredParameter {
  readonly component: string;
  readonly vhost: string;
  readonly name: string;
  readonly json: string;
}

function key(a: string, b: string): string {
  return `${a}\u0000${b}`;
}

/** Exact even for names holding NUL: parameters are few, so the key need not be cheap. */
function parameterKey(component: string, vhost: string, name: string): string {
  return JSON.stringify([component, vhost, name]);
}

function bindingKey(b: BindingRecord): string {
  const args = canonicalArgumentsKey(b.arguments).toString('latin1');
  return `${b.vhost}\u0000${b.source}\u0000${b.destinationKind}\u0000${b.destination}\u0000${b.routingKey}\u0000${args}`;
}
