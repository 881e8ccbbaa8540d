import { createHash } from 'node:crypto';
import { DEFAULT_HASHING_ALGORITHM, hashPassword, verifyPassword } from './passwords';

describe('RabbitMQ-compatible password hashes', () => {
  test('a fresh sha256 hash verifies the right password and refuses others', () => {
    const hash = hashPassword('s3cret');
    expect(Buffer.from(hash, 'base64')).toHaveLength(4 + 32);
    expect(verifyPassword(hash, DEFAULT_HASHING_ALGORITHM, 's3cret')).toBe(true);
    expect(verifyPassword(hash, DEFAULT_HASHING_ALGORITHM, 'S3cret')).toBe(false);
    expect(hashPassword('s3cret')).not.toBe(hash); // salted
  });

  test.each([
    ['rabbit_password_hashing_sha256', 'sha256'],
    ['rabbit_password_hashing_sha512', 'sha512'],
    ['rabbit_password_hashing_md5', 'md5'],
  ])('hashes built the RabbitMQ way with %s verify (salt ++ H(salt ++ password), base64)', (algorithm, digest) => {
    const salt = Buffer.from([0x90, 0x8d, 0xc6, 0x0a]);
    const stored = Buffer.concat([salt, createHash(digest).update(salt).update('guest').digest()]).toString('base64');
    expect(verifyPassword(stored, algorithm, 'guest')).toBe(true);
    expect(verifyPassword(stored, algorithm, 'guest2')).toBe(false);
  });

  test('empty hashes, unknown algorithms and truncated hashes never verify', () => {
    expect(verifyPassword('', DEFAULT_HASHING_ALGORITHM, '')).toBe(false);
    expect(verifyPassword(hashPassword('x'), 'rabbit_password_hashing_rot13', 'x')).toBe(false);
    expect(verifyPassword('AAAA', DEFAULT_HASHING_ALGORITHM, '')).toBe(false);
  });
});
