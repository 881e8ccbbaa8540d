import { timingSafeEqual, createHash } from 'node:crypto';

export interface User {
  readonly name: string;
  readonly tags: readonly string[];
}

interface UserRecord extends User {
  readonly passwordDigest: Buffer;
}

/**
 * The broker's users. For now only the default user exists, kept in memory; users, vhosts and
 * permissions move into the Store with the management issue.
 */
export class UserRegistry {
  private readonly users = new Map<string, UserRecord>();

  constructor(private readonly loopbackOnly: ReadonlySet<string>) {}

  add(name: string, password: string, tags: readonly string[]): void {
    this.users.set(name, { name, tags, passwordDigest: digest(password) });
  }

  /** The user when the password matches, else undefined. Compares in constant time. */
  authenticate(name: string, password: string): User | undefined {
    const user = this.users.get(name);
    if (user === undefined) return undefined;
    return timingSafeEqual(user.passwordDigest, digest(password)) ? { name: user.name, tags: user.tags } : undefined;
  }

  /** RabbitMQ's loopback_users: these users may connect only from a loopback address. */
  allowedFrom(name: string, remoteAddress: string | undefined): boolean {
    return !this.loopbackOnly.has(name) || isLoopback(remoteAddress);
  }
}

function digest(password: string): Buffer {
  return createHash('sha256').update(password, 'utf8').digest();
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.');
}
