import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import type { AccessDefinitions, PermissionRecord, Store, UserRecord } from '../store/store';
import { UserRegistry, type User } from './users';

export type PermissionKind = 'configure' | 'write' | 'read';
export type ResourceKind = 'queue' | 'exchange';

interface CompiledPermission {
  readonly record: PermissionRecord;
  readonly configure: RegExp | null;
  readonly write: RegExp | null;
  readonly read: RegExp | null;
}

/**
 * Users and their per-vhost permissions (configure/write/read regular expressions, RabbitMQ's model), kept in the
 * store. Checks throw AmqpError 403 with RabbitMQ's texts.
 */
export class AccessControl {
  readonly users: UserRegistry;
  private readonly userRecords = new Map<string, UserRecord>();
  private readonly permissions = new Map<string, CompiledPermission>();

  constructor(
    private readonly store: Store,
    loopbackOnly: ReadonlySet<string>,
  ) {
    this.users = new UserRegistry(loopbackOnly);
  }

  load(access: AccessDefinitions): void {
    for (const user of access.users) this.addUser(user);
    for (const permission of access.permissions) this.permissions.set(key(permission.user, permission.vhost), compile(permission));
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
    this.store.deleteUser(name);
    return true;
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
    return created;
  }

  deletePermission(user: string, vhost: string): boolean {
    if (!this.permissions.delete(key(user, vhost))) return false;
    this.store.deletePermission(user, vhost);
    return true;
  }

  /** The vhost is gone: its permissions go with it (the store cascades on its own). */
  vhostDeleted(vhost: string): void {
    for (const [k, p] of this.permissions) if (p.record.vhost === vhost) this.permissions.delete(k);
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
      `${kind} access to ${resource} '${name === '' && resource === 'exchange' ? 'amq.default' : name}' in vhost '${vhost}' refused for user '${user}'`,
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

function pattern(source: string, kind: string): RegExp | null {
  if (source === '') return null;
  try {
    return new RegExp(source);
  } catch (err) {
    throw new Error(`invalid ${kind} permission expression ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}
