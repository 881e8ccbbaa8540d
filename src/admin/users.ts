import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessControl, PermissionKind, ResourceKind, UserLimits } from '../auth/access';
import { logLoginRefused, type LoginThrottle } from '../auth/login-throttle';
import { DEFAULT_HASHING_ALGORITHM, hashPassword, isKnownHashingAlgorithm } from '../auth/passwords';
import type { Limits } from './entities';
import { formatPermission, formatTopicPermission, formatUser } from './views/access';

export type { PermissionKind, ResourceKind };

/** A user who logged in: name and tags. */
export interface LoggedIn {
  readonly name: string;
  readonly tags: readonly string[];
  /**
   * Changes when the user's password does: a web UI session keeps it and ends when it no longer matches. Opaque (a
   * digest of the stored hash), never the hash itself.
   */
  readonly credentialStamp: string;
}

/** Why a login was refused: unknown user or wrong password, or a loopback-only user from elsewhere. */
export type LoginRefused = 'invalid' | 'loopback-only';

/** A PUT /api/users body's credentials: a password to hash, or a hash as it is (validated by the caller). */
export interface Credentials {
  readonly password?: string;
  readonly passwordHash?: string;
  readonly hashingAlgorithm?: string;
}

/** A topic permission as stored: the exchange and the write and read patterns of a user in a vhost. */
export interface TopicPermission {
  readonly user: string;
  readonly vhost: string;
  readonly exchange: string;
  readonly write: string;
  readonly read: string;
}

/**
 * The stored password of a user being created or updated: a plain password is hashed with the default algorithm,
 * a hash is kept as given (with `fallbackAlgorithm` when it names none), and without either an existing user keeps
 * its own (a new one gets none: it cannot log in with a password).
 */
export function passwordOf(
  existing: { readonly passwordHash: string; readonly hashingAlgorithm: string } | undefined,
  credentials: Credentials,
  fallbackAlgorithm = DEFAULT_HASHING_ALGORITHM,
): { passwordHash: string; hashingAlgorithm: string } {
  if (credentials.password !== undefined) {
    return { passwordHash: hashPassword(credentials.password, DEFAULT_HASHING_ALGORITHM), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM };
  }
  if (credentials.passwordHash !== undefined) {
    return { passwordHash: credentials.passwordHash, hashingAlgorithm: credentials.hashingAlgorithm ?? fallbackAlgorithm };
  }
  return { passwordHash: existing?.passwordHash ?? '', hashingAlgorithm: existing?.hashingAlgorithm ?? DEFAULT_HASHING_ALGORITHM };
}

/**
 * Users, logins, permissions, topic permissions and user limits, over the broker's access control (the AMQP side
 * reads the same). Views are plain objects with RabbitMQ's field names.
 */
export class UserAdmin {
  constructor(
    private readonly access: AccessControl,
    private readonly logins: LoginThrottle | undefined,
    private readonly logger: Logger | undefined,
  ) {}

  // ---- logins and checks -----------------------------------------------------------------------

  /**
   * An HTTP login. A refused one logs one line and waits out the throttle's delay for this peer (shared with AMQP)
   * before it answers.
   */
  async login(name: string, password: string, peer: string | undefined): Promise<LoggedIn | LoginRefused> {
    const user = this.access.authenticate(name, password);
    if (user === undefined) {
      await this.refuse(peer, name, 'invalid credentials');
      return 'invalid';
    }
    if (!this.access.users.allowedFrom(user.name, peer)) {
      await this.refuse(peer, user.name, 'user may connect only via localhost');
      return 'loopback-only';
    }
    return { name: user.name, tags: user.tags, credentialStamp: this.stampOf(user.name) };
  }

  /**
   * The user of a web UI session as it is now: undefined once the user is gone, its password changed (the stamp
   * differs) or it may no longer log in from this peer. Tags are read afresh, so a changed tag applies at once.
   */
  current(name: string, credentialStamp: string, peer: string | undefined): LoggedIn | undefined {
    const record = this.access.getUser(name);
    if (record === undefined || this.stampOf(name) !== credentialStamp) return undefined;
    if (!this.access.users.allowedFrom(name, peer)) return undefined;
    return { name, tags: record.tags, credentialStamp };
  }

  private stampOf(name: string): string {
    const record = this.access.getUser(name);
    return createHash('sha256').update(`${record?.hashingAlgorithm ?? ''}\0${record?.passwordHash ?? ''}`).digest('base64url');
  }

  private async refuse(peer: string | undefined, user: string, reason: string): Promise<void> {
    const delayMs = this.logins?.failed(peer) ?? 0;
    if (this.logger !== undefined) logLoginRefused(this.logger, { protocol: 'http', mechanism: 'basic', peer, user, reason, delayMs });
    if (delayMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref());
  }

  canAccessVhost(user: string, vhost: string): boolean {
    return this.access.canAccessVhost(user, vhost);
  }

  allows(user: string, vhost: string, kind: PermissionKind, resource: string): boolean {
    return this.access.allows(user, vhost, kind, resource);
  }

  /** Throws AmqpError ACCESS_REFUSED when the user's topic permission does not allow the routing key. */
  checkTopic(user: string, vhost: string, exchange: string, kind: 'write' | 'read', routingKey: string): void {
    this.access.checkTopic(user, vhost, exchange, kind, routingKey);
  }

  // ---- users -----------------------------------------------------------------------------------

  has(name: string): boolean {
    return this.access.getUser(name) !== undefined;
  }

  list(): Record<string, unknown>[] {
    return this.access.listUsers().map(formatUser);
  }

  withoutPermissions(): Record<string, unknown>[] {
    const withPermissions = new Set(this.access.listPermissions().map((p) => p.user));
    return this.access
      .listUsers()
      .filter((u) => !withPermissions.has(u.name))
      .map(formatUser);
  }

  show(name: string): Record<string, unknown> | undefined {
    const record = this.access.getUser(name);
    return record === undefined ? undefined : formatUser(record);
  }

  /** The algorithm a password hash without hashing_algorithm is taken to use. */
  readonly defaultHashingAlgorithm = DEFAULT_HASHING_ALGORITHM;

  knowsHashingAlgorithm(algorithm: string): boolean {
    return isKnownHashingAlgorithm(algorithm);
  }

  /** Creates or updates a user; without credentials an existing user keeps its password. Whether it was created. */
  put(name: string, credentials: Credentials, tags: readonly string[]): boolean {
    const { passwordHash, hashingAlgorithm } = passwordOf(this.access.getUser(name), credentials);
    return this.access.putUser({ name, passwordHash, hashingAlgorithm, tags: [...tags] });
  }

  delete(name: string): boolean {
    return this.access.deleteUser(name);
  }

  // ---- permissions -----------------------------------------------------------------------------

  permissions(filter: { vhost?: string; user?: string } = {}): Record<string, unknown>[] {
    return this.access
      .listPermissions()
      .filter((p) => (filter.vhost === undefined || p.vhost === filter.vhost) && (filter.user === undefined || p.user === filter.user))
      .map(formatPermission);
  }

  permission(user: string, vhost: string): Record<string, unknown> | undefined {
    const record = this.access.getPermission(user, vhost);
    return record === undefined ? undefined : formatPermission(record);
  }

  /** Sets a user's permissions in a vhost; throws an Error naming a bad pattern. Whether they are new. */
  setPermission(p: { user: string; vhost: string; configure: string; write: string; read: string }): boolean {
    return this.access.setPermission(p);
  }

  deletePermission(user: string, vhost: string): boolean {
    return this.access.deletePermission(user, vhost);
  }

  // ---- topic permissions -----------------------------------------------------------------------

  topicPermissions(filter: { vhost?: string; user?: string } = {}): TopicPermission[] {
    return this.access
      .listTopicPermissions()
      .filter((t) => (filter.vhost === undefined || t.vhost === filter.vhost) && (filter.user === undefined || t.user === filter.user));
  }

  formatTopicPermission(t: TopicPermission): Record<string, unknown> {
    return formatTopicPermission(t);
  }

  /** Sets one exchange's topic permission; throws an Error naming a bad pattern. */
  setTopicPermission(t: TopicPermission): void {
    this.access.setTopicPermission(t);
  }

  deleteTopicPermission(user: string, vhost: string, exchange: string): boolean {
    return this.access.deleteTopicPermission(user, vhost, exchange);
  }

  // ---- user limits -----------------------------------------------------------------------------

  limits(user: string): Limits {
    return this.access.getUserLimits(user) as Limits;
  }

  allLimits(): Array<{ user: string; limits: Limits }> {
    return this.access.listUserLimits() as Array<{ user: string; limits: Limits }>;
  }

  setLimits(user: string, limits: Limits): void {
    this.access.setUserLimits(user, limits as UserLimits);
  }
}
