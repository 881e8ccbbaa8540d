import type { UserRecord } from '../store/store';
import { DEFAULT_HASHING_ALGORITHM, hashPassword, verifyPassword } from './passwords';

export interface User {
  readonly name: string;
  readonly tags: readonly string[];
}

/**
 * The broker's users, as loaded from the store. Passwords are kept only as RabbitMQ-style salted hashes.
 */
export class UserRegistry {
  private readonly users = new Map<string, UserRecord>();

  constructor(private readonly loopbackOnly: ReadonlySet<string>) {}

  /** Adds a user with a plain password (hashed here); returns the record to store. */
  add(name: string, password: string, tags: readonly string[]): UserRecord {
    const record: UserRecord = {
      name,
      passwordHash: hashPassword(password),
      hashingAlgorithm: DEFAULT_HASHING_ALGORITHM,
      tags,
    };
    this.users.set(name, record);
    return record;
  }

  addRecord(record: UserRecord): void {
    this.users.set(record.name, record);
  }

  remove(name: string): void {
    this.users.delete(name);
  }

  /** The user when the password matches, else undefined. */
  authenticate(name: string, password: string): User | undefined {
    const user = this.users.get(name);
    if (user === undefined || !verifyPassword(user.passwordHash, user.hashingAlgorithm, password)) return undefined;
    return { name: user.name, tags: user.tags };
  }

  /** RabbitMQ's loopback_users: these users may connect only from a loopback address. */
  allowedFrom(name: string, remoteAddress: string | undefined): boolean {
    return !this.loopbackOnly.has(name) || isLoopback(remoteAddress);
  }
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.');
}
