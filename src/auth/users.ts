import { randomBytes } from 'node:crypto';
import type { UserRecord } from '../store/store';
import { DEFAULT_HASHING_ALGORITHM, hashPassword, isKnownHashingAlgorithm, verifyPassword } from './passwords';

export interface User {
  readonly name: string;
  readonly tags: readonly string[];
}

/**
 * The broker's users, as loaded from the store. Passwords are kept only as RabbitMQ-style salted hashes.
 */
export class UserRegistry {
  private readonly users = new Map<string, UserRecord>();
  /**
   * Checked against when the user does not exist, so that a missing user costs a hash and a constant-time compare
   * like a wrong password does: the time of a refusal does not tell whether the name exists. Its password is
   * random and thrown away, so nothing matches it.
   */
  private readonly decoy = hashPassword(randomBytes(16).toString('base64'));

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

  /**
   * The user when the password matches, else undefined. A user that does not exist, or has no usable hash (password
   * login disabled), is checked against the decoy hash (the default algorithm, as new users get), so every refusal
   * does the same work.
   */
  authenticate(name: string, password: string): User | undefined {
    const user = this.users.get(name);
    if (user === undefined || user.passwordHash === '' || !isKnownHashingAlgorithm(user.hashingAlgorithm)) {
      verifyPassword(this.decoy, DEFAULT_HASHING_ALGORITHM, password);
      return undefined;
    }
    if (!verifyPassword(user.passwordHash, user.hashingAlgorithm, password)) return undefined;
    return { name: user.name, tags: user.tags };
  }

  /** The user of that name, without a password check: an EXTERNAL login, whose proof is a verified certificate. */
  lookup(name: string): User | undefined {
    const user = this.users.get(name);
    return user === undefined ? undefined : { name: user.name, tags: user.tags };
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
