/**
 * AccessControl on a MemoryStore: users (RabbitMQ salted hashes), per-vhost configure/write/read permissions with
 * RabbitMQ's semantics (unanchored regular expressions, '' grants nothing, the default exchange checked as
 * 'amq.default'), RabbitMQ's 403 texts, and every change written through to the store.
 */
import { createHash } from 'node:crypto';
import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import { MemoryStore } from '../store/memory';
import type { PermissionRecord, UserRecord } from '../store/store';
import { AccessControl, type PermissionKind, type ResourceKind } from './access';
import { DEFAULT_HASHING_ALGORITHM, hashPassword } from './passwords';

function user(name: string, password: string, tags: string[] = []): UserRecord {
  return { name, passwordHash: hashPassword(password), hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags };
}

function permission(userName: string, vhost: string, configure: string, write: string, read: string): PermissionRecord {
  return { user: userName, vhost, configure, write, read };
}

function setup(): { store: MemoryStore; access: AccessControl } {
  const store = new MemoryStore();
  const access = new AccessControl(store, new Set());
  return { store, access };
}

/** A fresh AccessControl that knows only what the store kept. */
function reloaded(store: MemoryStore): AccessControl {
  const access = new AccessControl(store, new Set());
  access.load(store.loadAccess());
  return access;
}

/** The AmqpError `fn` throws; fails the test when it throws nothing or something else. */
function thrown(fn: () => void): AmqpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AmqpError);
    return err as AmqpError;
  }
  throw new Error('expected an AmqpError, nothing was thrown');
}

function refusal(
  access: AccessControl,
  userName: string,
  vhost: string,
  kind: PermissionKind,
  resource: ResourceKind,
  name: string,
): { code: number; text: string; classId: number; methodId: number; hard: boolean } {
  const err = thrown(() => access.check(userName, vhost, kind, resource, name));
  return { code: err.replyCode, text: err.replyText, classId: err.classId, methodId: err.methodId, hard: err.isHard };
}

describe('AccessControl: users', () => {
  test('putUser creates (true) then replaces (false); getUser, listUsers and the store see the latest record', () => {
    const { store, access } = setup();
    const first = user('app', 'one', ['monitoring']);
    expect(access.putUser(first)).toBe(true);
    expect(access.getUser('app')).toEqual(first);
    const second = user('app', 'two', ['management']);
    expect(access.putUser(second)).toBe(false);
    expect(access.getUser('app')).toEqual(second);
    expect(access.listUsers()).toEqual([second]);
    expect(store.loadAccess().users).toEqual([second]);
    expect(access.getUser('nobody')).toBeUndefined();
  });

  test('authenticate: the right password gives the user with its tags; a wrong one, or an unknown user, gives undefined', () => {
    const { access } = setup();
    access.putUser(user('app', 's3cret', ['monitoring']));
    expect(access.authenticate('app', 's3cret')).toEqual({ name: 'app', tags: ['monitoring'] });
    expect(access.authenticate('app', 'S3cret')).toBeUndefined();
    expect(access.authenticate('app', '')).toBeUndefined();
    expect(access.authenticate('nobody', 's3cret')).toBeUndefined();
  });

  test('replacing a user changes the password that works', () => {
    const { access } = setup();
    access.putUser(user('app', 'old'));
    access.putUser(user('app', 'new'));
    expect(access.authenticate('app', 'old')).toBeUndefined();
    expect(access.authenticate('app', 'new')?.name).toBe('app');
  });

  test('a user with an empty hash cannot log in with any password', () => {
    const { access } = setup();
    access.putUser({ name: 'nopass', passwordHash: '', hashingAlgorithm: DEFAULT_HASHING_ALGORITHM, tags: [] });
    expect(access.authenticate('nopass', '')).toBeUndefined();
    expect(access.authenticate('nopass', 'x')).toBeUndefined();
  });

  test('a hash made by RabbitMQ (sha256, known salt) verifies', () => {
    // RabbitMQ's layout, built by hand here: base64(salt ++ sha256(salt ++ "guest")) with a fixed 4-byte salt.
    const salt = Buffer.from('908dc60a', 'hex');
    const hash = Buffer.concat([salt, createHash('sha256').update(salt).update('guest').digest()]).toString('base64');
    const { access } = setup();
    access.putUser({ name: 'imported', passwordHash: hash, hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [] });
    expect(access.authenticate('imported', 'guest')?.name).toBe('imported');
    expect(access.authenticate('imported', 'guesT')).toBeUndefined();
  });

  test('deleteUser removes the user, its login and its permissions on every vhost, in memory and in the store', () => {
    const { store, access } = setup();
    access.putUser(user('app', 'pw'));
    access.putUser(user('other', 'pw'));
    access.setPermission(permission('app', '/', '.*', '.*', '.*'));
    access.setPermission(permission('app', 'v2', '.*', '.*', '.*'));
    access.setPermission(permission('other', '/', '.*', '.*', '.*'));

    expect(access.deleteUser('app')).toBe(true);
    expect(access.getUser('app')).toBeUndefined();
    expect(access.authenticate('app', 'pw')).toBeUndefined();
    expect(access.getPermission('app', '/')).toBeUndefined();
    expect(access.getPermission('app', 'v2')).toBeUndefined();
    expect(access.canAccessVhost('app', '/')).toBe(false);
    expect(access.allows('app', '/', 'read', 'q')).toBe(false);
    expect(access.listPermissions()).toEqual([permission('other', '/', '.*', '.*', '.*')]);

    const stored = store.loadAccess();
    expect(stored.users.map((u) => u.name)).toEqual(['other']);
    expect(stored.permissions).toEqual([permission('other', '/', '.*', '.*', '.*')]);
    expect(access.deleteUser('app')).toBe(false);
  });
});

describe('AccessControl: permissions', () => {
  test('setPermission creates (true) then replaces (false); get, list, delete; the store follows', () => {
    const { store, access } = setup();
    access.putUser(user('app', 'pw'));
    const first = permission('app', '/', '.*', '.*', '.*');
    expect(access.setPermission(first)).toBe(true);
    expect(access.getPermission('app', '/')).toEqual(first);
    const second = permission('app', '/', '^a', '^b', '^c');
    expect(access.setPermission(second)).toBe(false);
    expect(access.getPermission('app', '/')).toEqual(second);
    expect(access.listPermissions()).toEqual([second]);
    expect(store.loadAccess().permissions).toEqual([second]);
    expect(access.allows('app', '/', 'configure', 'a1')).toBe(true);
    expect(access.allows('app', '/', 'configure', 'b1')).toBe(false);

    expect(access.deletePermission('app', '/')).toBe(true);
    expect(access.getPermission('app', '/')).toBeUndefined();
    expect(access.canAccessVhost('app', '/')).toBe(false);
    expect(access.allows('app', '/', 'configure', 'a1')).toBe(false);
    expect(store.loadAccess().permissions).toEqual([]);
    expect(access.deletePermission('app', '/')).toBe(false);
  });

  test('canAccessVhost needs an entry on that vhost; an entry of empty expressions is enough', () => {
    const { access } = setup();
    access.setPermission(permission('app', '/', '', '', ''));
    expect(access.canAccessVhost('app', '/')).toBe(true);
    expect(access.canAccessVhost('app', 'other')).toBe(false);
    expect(access.canAccessVhost('someone', '/')).toBe(false);
  });

  test('a permission applies only to its own vhost and user', () => {
    const { access } = setup();
    access.setPermission(permission('app', 'a', '.*', '.*', '.*'));
    expect(access.allows('app', 'a', 'read', 'q')).toBe(true);
    expect(access.allows('app', 'b', 'read', 'q')).toBe(false);
    expect(access.allows('other', 'a', 'read', 'q')).toBe(false);
  });

  test('configure, write and read are independent', () => {
    const { access } = setup();
    access.setPermission(permission('app', '/', '^c$', '^w$', '^r$'));
    const grid = (['configure', 'write', 'read'] as const).map((kind) =>
      ['c', 'w', 'r'].map((name) => access.allows('app', '/', kind, name)),
    );
    expect(grid).toEqual([
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ]);
  });

  test.each<[string, string, boolean]>([
    ['.*', 'anything', true],
    ['.*', '', true],
    ['^amq\\.gen-.*', 'amq.gen-abc', true],
    ['^amq\\.gen-.*', 'amq.genX-abc', false],
    ['^amq\\.gen-.*', 'xamq.gen-abc', false],
    // Unanchored, as RabbitMQ (re:run): a match anywhere grants.
    ['foo', 'xfooy', true],
    ['foo', 'fo', false],
    ['^foo$', 'xfooy', false],
    ['^foo$', 'foo', true],
    ['a|b', 'zzb', true],
    // Case matters.
    ['^Foo', 'foo', false],
  ])('expression %j on %j -> %s', (expression, name, granted) => {
    const { access } = setup();
    access.setPermission(permission('app', '/', expression, expression, expression));
    for (const kind of ['configure', 'write', 'read'] as const) {
      expect(access.allows('app', '/', kind, name)).toBe(granted);
    }
    if (granted) expect(() => access.check('app', '/', 'read', 'queue', name)).not.toThrow();
    else expect(() => access.check('app', '/', 'read', 'queue', name)).toThrow(AmqpError);
  });

  test("'' grants nothing, not even the empty name", () => {
    const { access } = setup();
    access.setPermission(permission('app', '/', '', '', ''));
    for (const kind of ['configure', 'write', 'read'] as const) {
      for (const name of ['', 'q', 'amq.default']) expect(access.allows('app', '/', kind, name)).toBe(false);
    }
    expect(() => access.check('app', '/', 'read', 'queue', '')).toThrow(AmqpError);
    expect(() => access.check('app', '/', 'write', 'exchange', '')).toThrow(AmqpError);
  });

  test('repeated checks give the same answer (no stateful global regex)', () => {
    const { access } = setup();
    access.setPermission(permission('app', '/', 'a', 'a', 'a'));
    const answers = [1, 2, 3, 4].map(() => access.allows('app', '/', 'read', 'a'));
    expect(answers).toEqual([true, true, true, true]);
  });

  test.each(['(', '[a-', '*x', 'a\\'])(
    'an invalid expression %j throws, and neither memory nor the store change',
    (bad) => {
      const { store, access } = setup();
      const good = permission('app', '/', '^ok$', '^ok$', '^ok$');
      access.setPermission(good);
      for (const field of ['configure', 'write', 'read'] as const) {
        expect(() => access.setPermission({ ...good, [field]: bad })).toThrow(/invalid .* permission expression/);
        expect(() => access.setPermission({ ...good, [field]: bad })).toThrow(field);
      }
      expect(access.getPermission('app', '/')).toEqual(good);
      expect(store.loadAccess().permissions).toEqual([good]);
      // A new entry with a bad expression is not created at all.
      expect(() => access.setPermission(permission('app', 'v2', bad, '', ''))).toThrow();
      expect(access.canAccessVhost('app', 'v2')).toBe(false);
      expect(store.loadAccess().permissions).toEqual([good]);
    },
  );
});

describe('AccessControl: check', () => {
  function limited(): AccessControl {
    const { access } = setup();
    access.setPermission(permission('limited', '/', '^mine-.*', '^mine-.*|^amq\\.default$', '^mine-.*'));
    return access;
  }

  test('allowed checks return without throwing', () => {
    const access = limited();
    expect(() => access.check('limited', '/', 'configure', 'queue', 'mine-q')).not.toThrow();
    expect(() => access.check('limited', '/', 'write', 'exchange', 'mine-x')).not.toThrow();
    expect(() => access.check('limited', '/', 'read', 'queue', 'mine-q')).not.toThrow();
  });

  test.each<[PermissionKind, ResourceKind, string, string]>([
    ['configure', 'queue', 'theirs', "ACCESS_REFUSED - access to queue 'theirs' in vhost '/' refused for user 'limited'"],
    ['write', 'queue', 'theirs', "ACCESS_REFUSED - access to queue 'theirs' in vhost '/' refused for user 'limited'"],
    ['read', 'queue', 'theirs', "ACCESS_REFUSED - access to queue 'theirs' in vhost '/' refused for user 'limited'"],
    ['configure', 'exchange', 'x', "ACCESS_REFUSED - access to exchange 'x' in vhost '/' refused for user 'limited'"],
    ['write', 'exchange', 'amq.topic', "ACCESS_REFUSED - access to exchange 'amq.topic' in vhost '/' refused for user 'limited'"],
    ['read', 'exchange', '', "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'limited'"],
    ['configure', 'exchange', '', "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'limited'"],
    ['read', 'queue', '', "ACCESS_REFUSED - access to queue '' in vhost '/' refused for user 'limited'"],
  ])('%s on %s %j refused: 403 with RabbitMQ’s text', (kind, resource, name, text) => {
    expect(refusal(limited(), 'limited', '/', kind, resource, name)).toEqual({
      code: ReplyCode.AccessRefused,
      text,
      classId: 0,
      methodId: 0,
      hard: false,
    });
  });

  test('the refusal names the vhost and user checked', () => {
    const { access } = setup();
    expect(refusal(access, 'bob', 'prod', 'read', 'queue', 'q').text).toBe(
      "ACCESS_REFUSED - access to queue 'q' in vhost 'prod' refused for user 'bob'",
    );
  });

  test("the default exchange is checked as 'amq.default'", () => {
    const access = limited();
    // write '^mine-.*|^amq\.default$' grants the default exchange...
    expect(() => access.check('limited', '/', 'write', 'exchange', '')).not.toThrow();
    // ...but not a queue named '' (only exchanges are renamed).
    expect(() => access.check('limited', '/', 'write', 'queue', '')).toThrow(AmqpError);

    const { access: other } = setup();
    other.setPermission(permission('app', '/', '', '^$', ''));
    // '^$' matches the empty name, which is not what is checked for the default exchange.
    expect(() => other.check('app', '/', 'write', 'exchange', '')).toThrow(
      "access to exchange 'amq.default' in vhost '/' refused for user 'app'",
    );
    expect(() => other.check('app', '/', 'write', 'queue', '')).not.toThrow();
  });

  test('a user without an entry on the vhost is refused everything', () => {
    const access = limited();
    expect(refusal(access, 'limited', 'other', 'read', 'queue', 'mine-q').text).toBe(
      "ACCESS_REFUSED - access to queue 'mine-q' in vhost 'other' refused for user 'limited'",
    );
  });
});

describe('AccessControl: persistence', () => {
  test('users and permissions written through the API are what a new AccessControl loads from the store', () => {
    const { store, access } = setup();
    access.putUser(user('app', 'pw', ['monitoring']));
    access.putUser(user('gone', 'pw'));
    access.setPermission(permission('app', '/', '^mine-.*', 'foo', ''));
    access.setPermission(permission('app', 'v2', '.*', '.*', '.*'));
    access.setPermission(permission('app', 'v3', '.*', '.*', '.*'));
    access.deletePermission('app', 'v3');
    access.deleteUser('gone');

    const again = reloaded(store);
    expect(again.listUsers().map((u) => u.name)).toEqual(['app']);
    expect(again.authenticate('app', 'pw')).toEqual({ name: 'app', tags: ['monitoring'] });
    expect(again.authenticate('gone', 'pw')).toBeUndefined();
    expect(again.getPermission('app', '/')).toEqual(permission('app', '/', '^mine-.*', 'foo', ''));
    expect(again.canAccessVhost('app', 'v2')).toBe(true);
    expect(again.canAccessVhost('app', 'v3')).toBe(false);
    // The loaded expressions are compiled: the semantics survive the reload.
    expect(again.allows('app', '/', 'configure', 'mine-1')).toBe(true);
    expect(again.allows('app', '/', 'configure', 'x-mine-1')).toBe(false);
    expect(again.allows('app', '/', 'write', 'xfooy')).toBe(true);
    expect(again.allows('app', '/', 'read', 'mine-1')).toBe(false);
  });

  test('vhostDeleted drops that vhost’s permissions only; with the store’s own cascade a reload agrees', () => {
    const { store, access } = setup();
    store.putVhost({ name: 'doomed', description: '', tags: [] });
    store.putVhost({ name: '/', description: '', tags: [] });
    access.setPermission(permission('a', 'doomed', '.*', '.*', '.*'));
    access.setPermission(permission('b', 'doomed', '.*', '.*', '.*'));
    access.setPermission(permission('a', '/', '.*', '.*', '.*'));

    access.vhostDeleted('doomed');
    store.deleteVhost('doomed');
    expect(access.canAccessVhost('a', 'doomed')).toBe(false);
    expect(access.canAccessVhost('b', 'doomed')).toBe(false);
    expect(access.allows('a', 'doomed', 'read', 'q')).toBe(false);
    expect(access.canAccessVhost('a', '/')).toBe(true);
    expect(access.listPermissions()).toEqual([permission('a', '/', '.*', '.*', '.*')]);
    expect(reloaded(store).listPermissions()).toEqual(access.listPermissions());
  });
});
