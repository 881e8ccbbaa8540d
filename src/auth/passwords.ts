import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * RabbitMQ's password hashes: base64(salt ++ H(salt ++ utf8(password))) with a 4-byte random salt, H named by the
 * user's hashing_algorithm. Definitions exported from RabbitMQ import with working passwords.
 */
export const DEFAULT_HASHING_ALGORITHM = 'rabbit_password_hashing_sha256';

const DIGESTS: Readonly<Record<string, string>> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

const SALT_BYTES = 4;

export function isKnownHashingAlgorithm(algorithm: string): boolean {
  return DIGESTS[algorithm] !== undefined;
}

export function hashPassword(password: string, algorithm = DEFAULT_HASHING_ALGORITHM): string {
  const salt = randomBytes(SALT_BYTES);
  return Buffer.concat([salt, digest(algorithm, salt, password)]).toString('base64');
}

/** True when `password` matches the stored hash. An empty hash never matches (password login disabled). */
export function verifyPassword(passwordHash: string, algorithm: string, password: string): boolean {
  if (passwordHash === '' || DIGESTS[algorithm] === undefined) return false;
  const stored = Buffer.from(passwordHash, 'base64');
  if (stored.length <= SALT_BYTES) return false;
  const salt = stored.subarray(0, SALT_BYTES);
  const expected = stored.subarray(SALT_BYTES);
  const actual = digest(algorithm, salt, password);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function digest(algorithm: string, salt: Buffer, password: string): Buffer {
  const name = DIGESTS[algorithm];
  if (name === undefined) throw new Error(`unknown password hashing algorithm '${algorithm}'`);
  return createHash(name).update(salt).update(password, 'utf8').digest();
}
