/**
 * Topic permissions in AccessControl, on a MemoryStore.
 *
 * They follow RabbitMQ: without an entry for (user, vhost, exchange) every routing key is allowed; with one, the
 * routing key must match the entry's write (publish) or read (bind) expression, unanchored, where '' means '^$' and
 * {username}, {vhost} and {client_id} are replaced by the regex-escaped values. A refusal is 403 ACCESS_REFUSED with
 * RabbitMQ's text. Entries are runtime parameters in the store and come back through load(). User and vhost limits
 * are in limits.test.ts.
 */
import { AmqpError } from '../protocol/amqp-error';
import { ReplyCode } from '../protocol/generated/amqp';
import { VhostRegistry } from '../vhost/registry';
import { AccessControl, TOPIC_PERMISSION_COMPONENT, type TopicPermissionRecord } from './access';
import { parameters, reloaded, setup, user } from './test-support/access';

function topic(userName: string, vhost: string, exchange: string, write: string, read: string): TopicPermissionRecord {
  return { user: userName, vhost, exchange, write, read };
}

function sorted(records: TopicPermissionRecord[]): TopicPermissionRecord[] {
  return [...records].sort((a, b) => `${a.user}/${a.vhost}/${a.exchange}`.localeCompare(`${b.user}/${b.vhost}/${b.exchange}`));
}

/** The refusal checkTopic throws; fails the test when it throws nothing or something other than an AmqpError. */
function refusal(fn: () => void): { code: number; text: string; classId: number; methodId: number; hard: boolean } {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error('expected checkTopic to refuse, it allowed');
  expect(caught).toBeInstanceOf(AmqpError);
  const err = caught as AmqpError;
  return { code: err.replyCode, text: err.replyText, classId: err.classId, methodId: err.methodId, hard: err.isHard };
}

function refusedText(kind: 'write' | 'read', routingKey: string, exchange: string, vhost: string, userName: string): string {
  return `ACCESS_REFUSED - access to topic '${routingKey}' in exchange '${exchange}' in vhost '${vhost}' refused for user '${userName}'`;
}

/** True when checkTopic lets the routing key through. */
function allows(
  access: AccessControl,
  userName: string,
  vhost: string,
  exchange: string,
  kind: 'write' | 'read',
  routingKey: string,
  clientId?: string,
): boolean {
  try {
    access.checkTopic(userName, vhost, exchange, kind, routingKey, clientId);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(AmqpError);
    expect((err as AmqpError).replyCode).toBe(ReplyCode.AccessRefused);
    return false;
  }
}

describe('AccessControl.checkTopic', () => {
  test('without an entry for (user, vhost, exchange) every routing key is allowed, for write and read', () => {
    const { access } = setup();
    for (const key of ['', 'a', 'a.b.c', '#', '*.x', 'ü.ñ']) {
      expect(allows(access, 'alice', '/', 'amq.topic', 'write', key)).toBe(true);
      expect(allows(access, 'alice', '/', 'amq.topic', 'read', key)).toBe(true);
    }
    expect(access.listTopicPermissions()).toEqual([]);
  });

  test('with an entry, write checks publish keys and read checks bind keys, each against its own expression', () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^orders\\.', '^audit\\.'));
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'orders.eu')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic', 'read', 'audit.#')).toBe(true);
    // The write expression does not grant read and vice versa.
    expect(allows(access, 'alice', '/', 'amq.topic', 'read', 'orders.eu')).toBe(false);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'audit.x')).toBe(false);
    // The dot is escaped in the expression: 'ordersXeu' does not match '^orders\.'.
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'ordersXeu')).toBe(false);
  });

  test('a refusal is 403 ACCESS_REFUSED, soft, with RabbitMQ text naming kind, key, exchange, vhost and user', () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', 'prod', 'events', '^ok$', '^ok$'));
    expect(refusal(() => access.checkTopic('alice', 'prod', 'events', 'write', 'bad.key'))).toEqual({
      code: ReplyCode.AccessRefused,
      text: refusedText('write', 'bad.key', 'events', 'prod', 'alice'),
      classId: 0,
      methodId: 0,
      hard: false,
    });
    expect(refusal(() => access.checkTopic('alice', 'prod', 'events', 'read', 'other'))).toEqual({
      code: ReplyCode.AccessRefused,
      text: refusedText('read', 'other', 'events', 'prod', 'alice'),
      classId: 0,
      methodId: 0,
      hard: false,
    });
  });

  test('expressions are unanchored regular expressions, as RabbitMQ uses them', () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', 'mid', 'a|b'));
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'xx.mid.yy')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'xx.mi.d')).toBe(false);
    expect(allows(access, 'alice', '/', 'amq.topic', 'read', 'zzbzz')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic', 'read', 'zzz')).toBe(false);
  });

  test("an empty expression means '^$': only the empty routing key passes", () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '', ''));
    for (const kind of ['write', 'read'] as const) {
      expect(allows(access, 'alice', '/', 'amq.topic', kind, '')).toBe(true);
      expect(allows(access, 'alice', '/', 'amq.topic', kind, 'a')).toBe(false);
      expect(allows(access, 'alice', '/', 'amq.topic', kind, '#')).toBe(false);
    }
    expect(refusal(() => access.checkTopic('alice', '/', 'amq.topic', 'write', 'x')).text).toBe(
      refusedText('write', 'x', 'amq.topic', '/', 'alice'),
    );
  });

  test('{username} and {vhost} are expanded to the checked user and vhost', () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', 'prod', 'amq.topic', '^{username}\\.{vhost}\\.', '^{vhost}-{username}$'));
    access.setTopicPermission(topic('bob', 'prod', 'amq.topic', '^{username}\\.{vhost}\\.', '^{vhost}-{username}$'));
    expect(allows(access, 'alice', 'prod', 'amq.topic', 'write', 'alice.prod.x')).toBe(true);
    expect(allows(access, 'alice', 'prod', 'amq.topic', 'write', 'bob.prod.x')).toBe(false);
    expect(allows(access, 'alice', 'prod', 'amq.topic', 'write', '{username}.{vhost}.x')).toBe(false);
    expect(allows(access, 'bob', 'prod', 'amq.topic', 'write', 'bob.prod.x')).toBe(true);
    expect(allows(access, 'bob', 'prod', 'amq.topic', 'write', 'alice.prod.x')).toBe(false);
    expect(allows(access, 'alice', 'prod', 'amq.topic', 'read', 'prod-alice')).toBe(true);
    expect(allows(access, 'alice', 'prod', 'amq.topic', 'read', 'prod-bob')).toBe(false);
  });

  test('{client_id} is expanded to the given client id, and to the empty string when none is given', () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^{client_id}\\.', '^c-{client_id}$'));
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'app-1.orders', 'app-1')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'app-2.orders', 'app-1')).toBe(false);
    expect(allows(access, 'alice', '/', 'amq.topic', 'read', 'c-', undefined)).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic', 'read', 'c-app-1', undefined)).toBe(false);
  });

  test('a variable appearing twice is expanded everywhere', () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^{username}\\.{username}$', ''));
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'alice.alice')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'alice.{username}')).toBe(false);
  });

  test('regex metacharacters in user, vhost and client id are escaped: they match only themselves', () => {
    const { access } = setup();
    const names = ['a.b', 'x+y*', '(g)|h', '[c]{2}?', '^s\\t', 'p-q/r'];
    for (const name of names) {
      access.setTopicPermission(topic(name, name, 'amq.topic', '^{username}:{vhost}:{client_id}$', '^{username}$'));
    }
    for (const name of names) {
      expect([name, allows(access, name, name, 'amq.topic', 'write', `${name}:${name}:${name}`, name)]).toEqual([name, true]);
      expect([name, allows(access, name, name, 'amq.topic', 'read', name)]).toEqual([name, true]);
    }
    // Escaped, '.' matches only a dot, '+' and '*' are literal, '(g)|h' is not an alternation.
    expect(allows(access, 'a.b', 'a.b', 'amq.topic', 'read', 'aXb')).toBe(false);
    expect(allows(access, 'x+y*', 'x+y*', 'amq.topic', 'read', 'xxy')).toBe(false);
    expect(allows(access, '(g)|h', '(g)|h', 'amq.topic', 'read', 'h')).toBe(false);
    expect(allows(access, '[c]{2}?', '[c]{2}?', 'amq.topic', 'read', 'cc')).toBe(false);
  });

  test.each([
    ['user', 'a$&b'],
    ['user', "x$'y"],
    ['user', 'x$`y'],
    ['user', 'cost$$'],
  ])("a %s name containing a '$' replacement sequence (%s) matches itself exactly", (_what, name) => {
    // String.prototype.replaceAll treats '$&', "$'", '$`' and '$$' in a replacement string as patterns; the expanded
    // value must be inserted literally.
    const { access } = setup();
    access.setTopicPermission(topic(name, '/', 'amq.topic', '^{username}$', '^{username}$'));
    expect(allows(access, name, '/', 'amq.topic', 'write', name)).toBe(true);
    expect(allows(access, name, '/', 'amq.topic', 'read', name)).toBe(true);
  });

  test("a vhost name containing '$&' is expanded literally in {vhost}", () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', 'v$&w', 'amq.topic', '^{vhost}$', ''));
    expect(allows(access, 'alice', 'v$&w', 'amq.topic', 'write', 'v$&w')).toBe(true);
  });

  test('entries are scoped per exchange: one on amq.topic leaves other exchanges unrestricted', () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^allowed$', '^allowed$'));
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'forbidden')).toBe(false);
    expect(allows(access, 'alice', '/', 'other.topic', 'write', 'forbidden')).toBe(true);
    expect(allows(access, 'alice', '/', 'other.topic', 'read', 'forbidden')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic.x', 'write', 'forbidden')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq', 'write', 'forbidden')).toBe(true);
  });

  test('entries are scoped per user and per vhost', () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^allowed$', '^allowed$'));
    expect(allows(access, 'bob', '/', 'amq.topic', 'write', 'forbidden')).toBe(true);
    expect(allows(access, 'alice', 'other', 'amq.topic', 'write', 'forbidden')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'forbidden')).toBe(false);
  });

  test('setting an entry again for the same (user, vhost, exchange) replaces it', () => {
    const { store, access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^one$', '^one$'));
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^two$', '^two$'));
    expect(access.listTopicPermissions()).toEqual([topic('alice', '/', 'amq.topic', '^two$', '^two$')]);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'one')).toBe(false);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'two')).toBe(true);
    expect(parameters(store, TOPIC_PERMISSION_COMPONENT).map((p) => p.value)).toEqual([topic('alice', '/', 'amq.topic', '^two$', '^two$')]);
  });

  test('an invalid expression is rejected and nothing is kept or stored', () => {
    const { store, access } = setup();
    expect(() => access.setTopicPermission(topic('alice', '/', 'amq.topic', '(', '.*'))).toThrow(/invalid write permission expression/);
    expect(() => access.setTopicPermission(topic('alice', '/', 'amq.topic', '.*', '[z-a]'))).toThrow(/invalid read permission expression/);
    expect(access.listTopicPermissions()).toEqual([]);
    expect(parameters(store, TOPIC_PERMISSION_COMPONENT)).toEqual([]);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'anything')).toBe(true);
  });
});

describe('AccessControl: topic permission lifecycle and persistence', () => {
  test('deleteTopicPermission removes the entry (true) from memory and store; again is false', () => {
    const { store, access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^x$', '^x$'));
    access.setTopicPermission(topic('alice', '/', 'events', '^x$', '^x$'));
    expect(access.deleteTopicPermission('alice', '/', 'amq.topic')).toBe(true);
    expect(access.deleteTopicPermission('alice', '/', 'amq.topic')).toBe(false);
    expect(access.deleteTopicPermission('alice', 'other', 'events')).toBe(false);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'y')).toBe(true);
    expect(allows(access, 'alice', '/', 'events', 'write', 'y')).toBe(false);
    expect(access.listTopicPermissions()).toEqual([topic('alice', '/', 'events', '^x$', '^x$')]);
    expect(parameters(store, TOPIC_PERMISSION_COMPONENT).map((p) => p.value)).toEqual([topic('alice', '/', 'events', '^x$', '^x$')]);
    expect(reloaded(store).listTopicPermissions()).toEqual([topic('alice', '/', 'events', '^x$', '^x$')]);
  });

  test('entries are written to the store and a new AccessControl loaded from it enforces them', () => {
    const { store, access } = setup();
    const records = [
      topic('alice', '/', 'amq.topic', '^{username}\\.', ''),
      topic('alice', 'prod', 'amq.topic', '^p$', '^r$'),
      topic('bob', '/', 'amq.topic', '.*', '^b$'),
      // Names with characters that could confuse a composite key.
      topic('bob', '/', 'x"y,z]', '^q$', '^q$'),
    ];
    for (const r of records) access.setTopicPermission(r);
    expect(sorted(parameters(store, TOPIC_PERMISSION_COMPONENT).map((p) => p.value as TopicPermissionRecord))).toEqual(sorted(records));

    const again = reloaded(store);
    expect(sorted(again.listTopicPermissions())).toEqual(sorted(records));
    expect(allows(again, 'alice', '/', 'amq.topic', 'write', 'alice.x')).toBe(true);
    expect(allows(again, 'alice', '/', 'amq.topic', 'write', 'bob.x')).toBe(false);
    expect(allows(again, 'alice', '/', 'amq.topic', 'read', '')).toBe(true);
    expect(allows(again, 'alice', '/', 'amq.topic', 'read', 'a')).toBe(false);
    expect(allows(again, 'alice', 'prod', 'amq.topic', 'write', 'p')).toBe(true);
    expect(allows(again, 'bob', '/', 'x"y,z]', 'write', 'nope')).toBe(false);
    expect(allows(again, 'bob', '/', 'other', 'write', 'nope')).toBe(true);

    // Deleting through the reloaded instance removes the stored record too.
    expect(again.deleteTopicPermission('bob', '/', 'x"y,z]')).toBe(true);
    expect(sorted(reloaded(store).listTopicPermissions())).toEqual(sorted(records.slice(0, 3)));
  });

  test('load() without parameters knows no topic permissions (they live in the parameters only)', () => {
    const { store, access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^x$', '^x$'));
    const without = new AccessControl(store, new Set());
    without.load(store.loadAccess());
    expect(without.listTopicPermissions()).toEqual([]);
  });

  test("deleteUser removes that user's topic permissions and limits, in memory and in the store, and no one else's", () => {
    const { store, access } = setup();
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^a$', '^a$'));
    access.setTopicPermission(topic('alice', 'prod', 'events', '^a$', '^a$'));
    access.setTopicPermission(topic('bob', '/', 'amq.topic', '^b$', '^b$'));
    access.setUserLimits('alice', { 'max-connections': 1 });
    access.setUserLimits('bob', { 'max-channels': 3 });

    expect(access.deleteUser('alice')).toBe(true);
    expect(access.listTopicPermissions()).toEqual([topic('bob', '/', 'amq.topic', '^b$', '^b$')]);
    expect(access.getUserLimits('alice')).toEqual({});
    expect(access.listUserLimits()).toEqual([{ user: 'bob', limits: { 'max-channels': 3 } }]);

    const again = reloaded(store);
    expect(again.listTopicPermissions()).toEqual([topic('bob', '/', 'amq.topic', '^b$', '^b$')]);
    expect(again.getUserLimits('alice')).toEqual({});
    expect(again.getUserLimits('bob')).toEqual({ 'max-channels': 3 });
    // A user re-created under the same name starts unrestricted.
    access.putUser(user('alice'));
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'zzz')).toBe(true);
  });

  test("vhostDeleted drops the vhost's topic permissions only", () => {
    const { access } = setup();
    access.setTopicPermission(topic('alice', 'doomed', 'amq.topic', '^a$', '^a$'));
    access.setTopicPermission(topic('bob', 'doomed', 'events', '^b$', '^b$'));
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^a$', '^a$'));
    access.vhostDeleted('doomed');
    expect(access.listTopicPermissions()).toEqual([topic('alice', '/', 'amq.topic', '^a$', '^a$')]);
    expect(allows(access, 'alice', 'doomed', 'amq.topic', 'write', 'zzz')).toBe(true);
    expect(allows(access, 'alice', '/', 'amq.topic', 'write', 'zzz')).toBe(false);
  });

  test('deleting a vhost through the registry (wired as broker.ts) removes its topic permissions from the store too', () => {
    const { store, access } = setup();
    const vhosts = new VhostRegistry(store);
    vhosts.put({ name: '/', description: '', tags: [] });
    vhosts.put({ name: 'doomed', description: '', tags: [] });
    vhosts.onDeleted((name) => access.vhostDeleted(name));
    access.setTopicPermission(topic('alice', 'doomed', 'amq.topic', '^a$', '^a$'));
    access.setTopicPermission(topic('alice', '/', 'amq.topic', '^a$', '^a$'));
    access.setUserLimits('alice', { 'max-connections': 2 });

    expect(vhosts.delete('doomed')).toBe(true);
    expect(access.listTopicPermissions()).toEqual([topic('alice', '/', 'amq.topic', '^a$', '^a$')]);
    const again = reloaded(store);
    expect(again.listTopicPermissions()).toEqual([topic('alice', '/', 'amq.topic', '^a$', '^a$')]);
    // User limits are broker-wide and survive the vhost.
    expect(again.getUserLimits('alice')).toEqual({ 'max-connections': 2 });
  });
});
