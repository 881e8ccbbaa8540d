import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import { compileSafeRegExp, type SafeRegExp } from '../util/safe-regex';
import type { AccessDefinitions, ParameterRecord, PermissionRecord, Store, UserRecord } from '../store/store';
import { UserRegistry, type User } from './users';

export type PermissionKind = 'configure' | 'write' | 'read';
export type ResourceKind = 'queue' | 'exchange';

/** RabbitMQ's topic permission: regular expressions on routing keys for one topic exchange. */
export interface TopicPermissionRecord {
  readonly user: string;
  readonly vhost: string;
  readonly exchange: string;
  readonly write: string;
  readonly read: string;
}

/** Per-user limits as RabbitMQ's user-limits: absent or negative means unlimited. */
export interface UserLimits {
  readonly 'max-connections'?: number;
  readonly 'max-channels'?: number;
}

export const TOPIC_PERMISSION_COMPONENT = 'topic-permission';
export const USER_LIMITS_COMPONENT = 'user-limits';

interface CompiledPermission {
  readonly record: PermissionRecord;
  readonly configure: SafeRegExp | null;
  readonly write: SafeRegExp | null;
  readonly read: SafeRegExp | null;
}

/** Compiled topic-permission expressions kept (by source, after {username}... expansion) before starting afresh. */
const TOPIC_MATCHERS_LIMIT = 1024;

/**
 * Users and their per-vhost permissions (configure/write/read regular expressions, RabbitMQ's model), kept in the
 * store. Checks throw AmqpError 403 with RabbitMQ's texts.
 */
export class AccessControl {
  readonly users: UserRegistry;
  private readonly userRecords = new Map<string, UserRecord>();
  private readonly permissions = new Map<string, CompiledPermission>();
  private readonly topicPermissions = new Map<string, TopicPermissionRecord>();
  /** Topic-permission expressions by expanded source: checkTopic runs on every publish to a topic exchange. */
  private readonly topicMatchers = new Map<string, SafeRegExp>();
  private readonly userLimits = new Map<string, UserLimits>();
  private readonly userDeletedListeners: ((name: string) => void)[] = [];
  private generationValue = 0;

  constructor(
    private readonly store: Store,
    loopbackOnly: ReadonlySet<string>,
  ) {
    this.users = new UserRegistry(loopbackOnly);
  }

  /**
   * Moves with every change that can take a permission away (permissions set or deleted, a user or vhost deleted):
   * what a connection remembers of earlier checks (the publish cache) is stale once it moved, so permission changes
   * reach open connections at once, as in RabbitMQ.
   */
  get generation(): number {
    return this.generationValue;
  }

  /** Called with the name of each deleted user (its connections are closed, as RabbitMQ does). */
  onUserDeleted(listener: (name: string) => void): void {
    this.userDeletedListeners.push(listener);
  }

  load(access: AccessDefinitions, parameters: readonly ParameterRecord[] = []): void {
    this.generationValue++;
    for (const user of access.users) this.addUser(user);
    for (const permission of access.permissions) this.permissions.set(key(permission.user, permission.vhost), compile(permission));
    for (const p of parameters) {
      if (p.component === TOPIC_PERMISSION_COMPONENT) {
        const record = p.value as TopicPermissionRecord;
        this.topicPermissions.set(topicKey(record.user, record.vhost, record.exchange), record);
      } else if (p.component === USER_LIMITS_COMPONENT) {
        this.userLimits.set(p.name, p.value as UserLimits);
      }
    }
  }

  // ---- users -------------------------------------------------------------------------------------

  listUsers(): UserRecord[] {
    return [...this.userRecords.values()];
  }

  getUser(name: string): UserRecord | undefined {
    return this.userRecords.get(name);
  }

  /** Creates or replaces a user; returns true when it was created. */
  putUser(record: UserRecord): boolean {
    const created = !this.userRecords.has(record.name);
    this.addUser(record);
    this.store.putUser(record);
    return created;
  }

  deleteUser(name: string): boolean {
    if (!this.userRecords.delete(name)) return false;
    this.users.remove(name);
    for (const [k, p] of this.permissions) if (p.record.user === name) this.permissions.delete(k);
    for (const t of [...this.topicPermissions.values()]) if (t.user === name) this.deleteTopicPermission(t.user, t.vhost, t.exchange);
    if (this.userLimits.has(name)) this.setUserLimits(name, {});
    this.store.deleteUser(name);
    this.generationValue++;
    for (const listener of this.userDeletedListeners) listener(name);
    return true;
  }

  // ---- user limits -------------------------------------------------------------------------------

  getUserLimits(user: string): UserLimits {
    return this.userLimits.get(user) ?? {};
  }

  listUserLimits(): Array<{ user: string; limits: UserLimits }> {
    return [...this.userLimits].map(([user, limits]) => ({ user, limits }));
  }

  /** Replaces a user's limits; an empty object clears them. */
  setUserLimits(user: string, limits: UserLimits): void {
    if (Object.keys(limits).length === 0) {
      this.userLimits.delete(user);
      this.store.deleteParameter(USER_LIMITS_COMPONENT, '', user);
      return;
    }
    this.userLimits.set(user, limits);
    this.store.putParameter({ component: USER_LIMITS_COMPONENT, vhost: '', name: user, value: limits });
  }

  // ---- topic permissions -------------------------------------------------------------------------

  /** False while no topic permission exists anywhere: the per-publish topic check is then skipped. */
  get hasTopicPermissions(): boolean {
    return this.topicPermissions.size > 0;
  }

  listTopicPermissions(): TopicPermissionRecord[] {
    return [...this.topicPermissions.values()];
  }

  setTopicPermission(record: TopicPermissionRecord): void {
    pattern(record.write, 'write');
    pattern(record.read, 'read');
    this.topicMatchers.clear();
    this.topicPermissions.set(topicKey(record.user, record.vhost, record.exchange), record);
    this.store.putParameter({
      component: TOPIC_PERMISSION_COMPONENT,
      vhost: record.vhost,
      name: JSON.stringify([record.user, record.exchange]),
      value: record,
    });
  }

  deleteTopicPermission(user: string, vhost: string, exchange: string): boolean {
    if (!this.topicPermissions.delete(topicKey(user, vhost, exchange))) return false;
    this.topicMatchers.clear();
    this.store.deleteParameter(TOPIC_PERMISSION_COMPONENT, vhost, JSON.stringify([user, exchange]));
    return true;
  }

  /**
   * RabbitMQ's topic authorisation on topic exchanges: without a topic permission for (user, vhost, exchange)
   * everything is allowed; with one, the routing key must match its write (publish) or read (bind) expression,
   * where an empty expression means '^$' and {username}, {vhost} and {client_id} are expanded.
   */
  checkTopic(user: string, vhost: string, exchange: string, kind: 'write' | 'read', routingKey: string, clientId = ''): void {
    const record = this.topicPermissions.get(topicKey(user, vhost, exchange));
    if (record === undefined) return;
    const source = record[kind] === '' ? '^$' : expand(record[kind], user, vhost, clientId);
    if (this.topicMatcher(source).test(routingKey)) return;
    throw new AmqpError(
      ReplyCode.AccessRefused,
      `access to topic '${routingKey}' in exchange '${exchange}' in vhost '${vhost}' refused for user '${user}'`,
    );
  }

  private topicMatcher(source: string): SafeRegExp {
    let matcher = this.topicMatchers.get(source);
    if (matcher === undefined) {
      matcher = compileSafeRegExp(source);
      if (this.topicMatchers.size >= TOPIC_MATCHERS_LIMIT) this.topicMatchers.clear();
      this.topicMatchers.set(source, matcher);
    }
    return matcher;
  }

  authenticate(name: string, password: string): User | undefined {
    return this.users.authenticate(name, password);
  }

  // ---- permissions -------------------------------------------------------------------------------

  listPermissions(): PermissionRecord[] {
    return [...this.permissions.values()].map((p) => p.record);
  }

  getPermission(user: string, vhost: string): PermissionRecord | undefined {
    return this.permissions.get(key(user, vhost))?.record;
  }

  /** Sets a user's permissions on a vhost; returns true when none existed. Throws on an invalid expression. */
  setPermission(record: PermissionRecord): boolean {
    const compiled = compile(record);
    const k = key(record.user, record.vhost);
    const created = !this.permissions.has(k);
    this.permissions.set(k, compiled);
    this.store.putPermission(record);
    this.generationValue++;
    return created;
  }

  deletePermission(user: string, vhost: string): boolean {
    if (!this.permissions.delete(key(user, vhost))) return false;
    this.store.deletePermission(user, vhost);
    this.generationValue++;
    return true;
  }

  /** The vhost is gone: its permissions go with it (the store cascades on its own). */
  vhostDeleted(vhost: string): void {
    this.generationValue++;
    for (const [k, p] of this.permissions) if (p.record.vhost === vhost) this.permissions.delete(k);
    for (const [k, t] of this.topicPermissions) if (t.vhost === vhost) this.topicPermissions.delete(k);
  }

  /** connection.open: a user needs a permission entry on the vhost, as in RabbitMQ. */
  canAccessVhost(user: string, vhost: string): boolean {
    return this.permissions.has(key(user, vhost));
  }

  /**
   * Throws 403 ACCESS_REFUSED unless `user` has `kind` permission on the named resource. The default exchange is
   * checked as 'amq.default', as RabbitMQ does.
   */
  check(user: string, vhost: string, kind: PermissionKind, resource: ResourceKind, name: string): void {
    if (this.allows(user, vhost, kind, resource === 'exchange' && name === '' ? 'amq.default' : name)) return;
    throw new AmqpError(
      ReplyCode.AccessRefused,
      `access to ${resource} '${name === '' && resource === 'exchange' ? 'amq.default' : name}' in vhost '${vhost}' refused for user '${user}'`,
    );
  }

  allows(user: string, vhost: string, kind: PermissionKind, name: string): boolean {
    const permission = this.permissions.get(key(user, vhost));
    const pattern = permission?.[kind];
    return pattern !== undefined && pattern !== null && pattern.test(name);
  }

  private addUser(record: UserRecord): void {
    this.userRecords.set(record.name, record);
    this.users.addRecord(record);
  }
}

function topicKey(user: string, vhost: string, exchange: string): string {
  return `${user}\u0000${vhost}\u0000${exchange}`;
}

function expand(source: string, user: string, vhost: string, clientId: string): string {
  // Replacement functions, not strings: a '$&' in a name must stay literal.
  return source
    .replaceAll('{username}', () => escape(user))
    .replaceAll('{vhost}', () => escape(vhost))
    .replaceAll('{client_id}', () => escape(clientId));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function key(user: string, vhost: string): string {
  return `${user}\u0000${vhost}`;
}

/** RabbitMQ permissions are anchored by the user ('.*', '^amq\\.gen-.*'); an empty one grants nothing. */
function compile(record: PermissionRecord): CompiledPermission {
  return {
    record,
    configure: pattern(record.configure, 'configure'),
    write: pattern(record.write, 'write'),
    read: pattern(record.read, 'read'),
  };
}

/** A permission expression, matched in bounded time (util/safe-regex); throws on an invalid one. */
function pattern(source: string, kind: string): SafeRegExp | null {
  if (source === '') return null;
  try {
    return compileSafeRegExp(source);
  } catch (err) {
    throw new Error(`invalid ${kind} permission expression ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}
