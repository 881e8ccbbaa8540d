// The module object itself (not an import-star copy of it), so that the spies below see passwords.ts's calls.
import crypto = require('node:crypto');
import { isLoopback, UserRegistry } from './users';

describe('isLoopback', () => {
  test.each(['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::ffff:127.9.9.9'])(
    '%s is loopback',
    (address) => {
      expect(isLoopback(address)).toBe(true);
    },
  );

  test.each(['10.0.0.1', '192.168.1.127', '::ffff:10.0.0.1', '::2', 'fe80::1', '0.0.0.0', '', undefined])(
    '%s is not loopback',
    (address) => {
      expect(isLoopback(address)).toBe(false);
    },
  );
});

describe('UserRegistry', () => {
  function registry(loopbackOnly: string[] = []): UserRegistry {
    const users = new UserRegistry(new Set(loopbackOnly));
    users.add('guest', 'guest', ['administrator']);
    users.add('app', 's3cret', []);
    return users;
  }

  test('authenticate returns the user for the right password', () => {
    const user = registry().authenticate('guest', 'guest');
    expect([user?.name, user?.tags]).toEqual(['guest', ['administrator']]);
    expect(registry().authenticate('app', 's3cret')?.name).toBe('app');
  });

  test('a wrong password, another user’s password or an unknown user gives undefined', () => {
    const users = registry();
    expect(users.authenticate('guest', 'Guest')).toBeUndefined();
    expect(users.authenticate('guest', '')).toBeUndefined();
    expect(users.authenticate('app', 'guest')).toBeUndefined();
    expect(users.authenticate('nobody', 'guest')).toBeUndefined();
  });

  test('add replaces an existing user’s password', () => {
    const users = registry();
    users.add('guest', 'new', []);
    expect(users.authenticate('guest', 'guest')).toBeUndefined();
    expect(users.authenticate('guest', 'new')?.tags).toEqual([]);
  });

  test('allowedFrom: loopback users only from loopback addresses, others from anywhere', () => {
    const users = registry(['guest']);
    expect(users.allowedFrom('guest', '127.0.0.1')).toBe(true);
    expect(users.allowedFrom('guest', '::1')).toBe(true);
    expect(users.allowedFrom('guest', '::ffff:127.0.0.1')).toBe(true);
    expect(users.allowedFrom('guest', '10.1.2.3')).toBe(false);
    expect(users.allowedFrom('guest', undefined)).toBe(false);
    expect(users.allowedFrom('app', '10.1.2.3')).toBe(true);
    expect(users.allowedFrom('app', undefined)).toBe(true);
  });

  test('allowedFrom with no loopback users allows everyone from anywhere', () => {
    expect(registry().allowedFrom('guest', '203.0.113.9')).toBe(true);
  });

  describe('a refusal costs the same whether or not the user exists (no user-existence oracle)', () => {
    afterEach(() => jest.restoreAllMocks());

    /** The hashing and comparing one authenticate() call does. */
    function work(users: UserRegistry, name: string, password: string): { hashes: string[]; compares: number } {
      const createHash = jest.spyOn(crypto, 'createHash');
      const timingSafeEqual = jest.spyOn(crypto, 'timingSafeEqual');
      expect(users.authenticate(name, password)).toBeUndefined();
      const result = { hashes: createHash.mock.calls.map(([algorithm]) => String(algorithm)), compares: timingSafeEqual.mock.calls.length };
      jest.restoreAllMocks();
      return result;
    }

    test('a missing user is checked against a decoy hash: one SHA-256 and one constant-time compare, as a wrong password', () => {
      const users = registry();
      const wrongPassword = work(users, 'app', 'not-it');
      expect(wrongPassword).toEqual({ hashes: ['sha256'], compares: 1 });
      expect(work(users, 'nobody', 'not-it')).toEqual(wrongPassword);
      expect(work(users, '', '')).toEqual(wrongPassword);
    });

    test('a user whose password login is disabled (empty hash) or whose algorithm is unknown costs the same too', () => {
      const users = registry();
      users.addRecord({ name: 'no-password', passwordHash: '', hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] });
      users.addRecord({ name: 'odd', passwordHash: 'AAAAAAAA', hashingAlgorithm: 'rabbit_password_hashing_unknown', tags: [] });
      expect(work(users, 'no-password', '')).toEqual({ hashes: ['sha256'], compares: 1 });
      expect(work(users, 'odd', 'x')).toEqual({ hashes: ['sha256'], compares: 1 });
    });

    test('the decoy matches no password', () => {
      const users = registry();
      for (const password of ['', 'guest', 'decoy', 'x'.repeat(100)]) expect(users.authenticate('nobody', password)).toBeUndefined();
    });
  });
});
