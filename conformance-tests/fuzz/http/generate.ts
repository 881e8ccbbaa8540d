/**
 * Hostile management API requests, a pure function of (seed, index): a route of the API (or an unknown path) with
 * its parameters filled by valid names or hostile segments (empty, '..', %00, bad percent-encoding, invalid UTF-8,
 * prototype keys, very long), a query string abusing the listing parameters (page, page_size, sort, name, use_regex,
 * columns; repeated, extreme, malformed), and for any method a body: a plausible JSON object for the route family,
 * mutated (wrong types, huge numbers, deep nesting, strings up to 25 MB, __proto__/constructor keys), or not JSON at all
 * (truncated, invalid UTF-8, another content type, multipart garbage).
 *
 * The run must keep its own login and its vhost working: state-changing requests never name the user 'guest' or the
 * vhost '/' (they use the fuzzer's own 'fz' vhost and 'fz-*' users, which the runner recreates now and then).
 */
import { Rng } from '../../../src/protocol/test-support/random';
import { chance, mix, weighted } from '../vocabulary';
import type { Route } from './routes';

export interface HttpRequestSpec {
  index: number;
  method: string;
  /** Path and query exactly as sent on the request line. */
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** What was done, for the report: 'route /api/queues/:vhost/:name, body deep-nesting, query repeated'. */
  label: string;
  /** The route template, or 'unknown'. */
  route: string;
}

export const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'] as const;
const STATE_CHANGING = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);

const enc = encodeURIComponent;

/** Path segments with no business in a name. */
const HOSTILE_SEGMENTS = [
  '',
  '..',
  '.',
  '%2e%2e',
  '%2E%2E%2F%2E%2E',
  '..%2f..%2f..%2fpackage.json',
  '%00',
  'a%00b',
  '%ff',
  '%c0%80',
  '%ed%a0%80',
  '%fe%ff',
  '%',
  '%2',
  '%zz',
  '%%41',
  '%252F',
  '%2F%2F',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '__defineGetter__',
  enc('{"$ne":1}'),
  enc("' OR 1=1 --"),
  enc('<script>alert(1)</script>'),
  '-1',
  '1e309',
  'NaN',
  '99999999999999999999999',
  '%F0%9F%90%87',
  enc('日本'),
  ';',
  ',',
  '*',
  enc('\r\nX-Injected: 1'),
  '%0d%0aSet-Cookie:%20x=1',
];

const LISTING_KEYS = ['page', 'page_size', 'sort', 'sort_reverse', 'name', 'use_regex', 'columns', 'pagination', 'disable_stats', 'enable_queue_totals', 'lengths_age', 'lengths_incr', 'msg_rates_age', 'msg_rates_incr', 'data_rates_age', 'if-unused', 'if-empty', 'vhost', 'family', 'limit', 'since', 'count', 'format', 'download'];
const QUERY_VALUES = ['1', '0', '-1', '100', '501', '2147483648', '1e400', 'NaN', 'Infinity', '', 'true', 'false', 'name', 'messages', 'name,messages', '__proto__', 'constructor.prototype', '%00', '%ff', '(a+)+$', '([a-z]+)*$', '[', '*', '\\', '.*'.repeat(50), 'x'.repeat(5000), '%c0%af', '0x10', ' 1', '1 '];

/** A value for a route parameter. `safe`: the request changes state, so never the fuzzer's own login or '/'. */
function segment(rng: Rng, param: string, safe: boolean): string {
  const valid = (): string => {
    switch (param) {
      case 'vhost':
        return safe ? rng.pick(['fz', 'fz-gone', enc('fz/x')]) : rng.pick(['%2F', 'fz', 'no-such-vhost']);
      case 'user':
        return safe ? rng.pick(['fz-user', 'fz-other', 'no-such-user']) : rng.pick(['guest', 'fz-user', 'nobody']);
      case 'name':
        return rng.pick(['fz.q', 'fz.x', 'amq.direct', 'amq.default', '', 'no-such-thing', 'max-connections', 'max-queues', 'cluster_name', enc('127.0.0.1:1 -> 127.0.0.1:2'), enc('127.0.0.1:1 -> 127.0.0.1:2 (1)')]);
      case 'component':
        return rng.pick(['federation-upstream', 'shovel', 'policy', 'x', 'vhost-limits']);
      case 'dtype':
        return rng.pick(['q', 'e', 'x', 'queue']);
      case 'source':
      case 'destination':
        return rng.pick(['fz.x', 'fz.q', 'amq.direct', 'amq.topic']);
      case 'props':
        return rng.pick(['~', 'k', 'k~abc', enc('k~%%%'), 'k~' + 'x'.repeat(40)]);
      case 'within':
        return rng.pick(['1', '0', '-1', '1e9', 'x']);
      case 'unit':
        return rng.pick(['days', 'weeks', 'months', 'years', 'seconds', 'x']);
      case 'port':
        return rng.pick(['5672', '15672', '0', '65536', '-1', 'x']);
      case 'protocol':
        return rng.pick(['amqp', 'amqp/ssl', 'http', 'https', 'mqtt', 'x']);
      case 'file':
        return rng.pick(['index.js', 'app.css', '..%2Fpackage.json', '..%2F..%2Fetc%2Fpasswd', 'x']);
      default:
        return 'x';
    }
  };
  if (chance(rng, 0.55)) return valid();
  if (chance(rng, 0.15)) return 'a'.repeat(rng.pick([256, 1024, 8000, 70000]));
  let s = rng.pick(HOSTILE_SEGMENTS);
  // Never 'guest' in any spelling that decodes to it, on a state-changing request.
  if (safe && /guest/i.test(decodeURIComponentSafe(s))) s = 'x';
  return s;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function query(rng: Rng): string {
  if (chance(rng, 0.4)) return '';
  const parts: string[] = [];
  for (let i = 1 + rng.int(4); i > 0; i--) {
    const key = chance(rng, 0.85) ? rng.pick(LISTING_KEYS) : rng.pick(['__proto__', '__proto__[x]', 'constructor[prototype][x]', 'page[]', 'a'.repeat(3000), '', '%00', '%ff']);
    const v = rng.pick(QUERY_VALUES);
    parts.push(`${key}=${/%/.test(v) ? v : enc(v)}`);
    if (chance(rng, 0.2)) parts.push(`${key}=${enc(rng.pick(QUERY_VALUES))}`);
  }
  if (chance(rng, 0.1)) parts.push(rng.pick(['&&&', '=', '==', 'page', '?', '#frag', '%']));
  return `?${parts.join('&')}`;
}

/** A JSON value of the kinds the API's bodies hold. */
function plausibleBody(rng: Rng, route: string): Record<string, unknown> {
  const common: Record<string, unknown> = {};
  if (/queues|exchanges/.test(route)) Object.assign(common, { durable: rng.bool(), auto_delete: rng.bool(), internal: false, type: rng.pick(['direct', 'topic', 'fanout', 'headers', 'x-delayed-message', 'nope']), arguments: { 'x-message-ttl': 1000, 'x-queue-type': rng.pick(['classic', 'quorum', 'stream', 'nope']), 'x-max-length': 10 } });
  if (/publish/.test(route)) Object.assign(common, { routing_key: 'fz.q', payload: 'hello', payload_encoding: rng.pick(['string', 'base64']), properties: { delivery_mode: 2, headers: { a: 1 } } });
  if (/\/get$/.test(route)) Object.assign(common, { count: 1, ackmode: rng.pick(['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'x']), encoding: rng.pick(['auto', 'base64', 'x']), truncate: 50000 });
  if (/users/.test(route)) Object.assign(common, { password: 'pw', tags: rng.pick(['', 'administrator', 'management', ['monitoring']]), users: ['fz-user', 'fz-other'] });
  if (/permissions/.test(route)) Object.assign(common, { configure: '.*', write: '.*', read: rng.pick(['.*', '(', '[']), exchange: 'amq.topic' });
  if (/policies/.test(route)) Object.assign(common, { pattern: rng.pick(['^fz', '.*', '(']), definition: { 'max-length': 5, 'message-ttl': 'x' }, priority: 0, 'apply-to': rng.pick(['queues', 'exchanges', 'all', 'x']) });
  if (/parameters|limits/.test(route)) Object.assign(common, { value: rng.pick([10, -1, 'x', { uri: 'amqp://' }, null]), component: 'federation-upstream', vhost: 'fz', name: 'fz' });
  if (/bindings/.test(route)) Object.assign(common, { routing_key: 'k', arguments: { 'x-match': 'all' } });
  if (/definitions/.test(route)) Object.assign(common, { queues: [{ name: 'fz.dq', vhost: 'fz', durable: true, arguments: {} }], exchanges: [], bindings: [], vhosts: [{ name: 'fz' }], policies: [] });
  if (/vhosts/.test(route)) Object.assign(common, { description: 'fz', tags: 'a,b', default_queue_type: rng.pick(['classic', 'quorum', 'x']), tracing: rng.bool() });
  if (/route|redrive|messages|tail|session|quarantine/.test(route)) Object.assign(common, { exchange: 'amq.direct', routing_key: 'k', headers: {}, count: 5, username: 'fz-user', password: 'pw', to: 'fz.q' });
  if (Object.keys(common).length === 0) Object.assign(common, { name: 'fz', value: 1 });
  return common;
}

const WRONG_TYPES: unknown[] = [null, true, 0, -1, 1.5, '', 'x', [], {}, [null], { '': '' }, 'true', '1', 1e308, -1e308, 2 ** 53 + 1, -0];

function deep(depth: number, array: boolean): string {
  return array ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Mutates a plausible body: one field of a wrong type, extreme, or a hostile key. Returns JSON text. */
function mutateJson(rng: Rng, body: Record<string, unknown>): { text: string; what: string } {
  const keys = Object.keys(body);
  const key = rng.pick(keys);
  switch (rng.int(9)) {
    case 0:
      body[key] = rng.pick(WRONG_TYPES);
      return { text: JSON.stringify(body), what: `wrong-type(${key})` };
    case 1: {
      // Numbers JSON.parse turns into Infinity, lossy integers, or -0.
      const n = rng.pick(['1e400', '-1e400', '123456789012345678901234567890', '-0', '1e-400', '0.0000000000000000000001', '18446744073709551616']);
      return { text: JSON.stringify(body).replace(/}$/, `,"${key}x":${n},"count":${n}}`), what: `huge-number(${n})` };
    }
    case 2: {
      const depth = rng.pick([100, 1000, 10000, 100000]);
      return { text: JSON.stringify(body).replace(/}$/, `,"arguments":${deep(depth, rng.bool())}}`), what: `deep-nesting(${depth})` };
    }
    case 3: {
      const n = rng.pick([10_000, 300_000, 2_000_000, 25_000_000]);
      body[key] = 'x'.repeat(n);
      return { text: JSON.stringify(body), what: `huge-string(${key}, ${n})` };
    }
    case 4:
      return { text: JSON.stringify(body).replace(/^{/, rng.pick(['{"__proto__":{"admin":true,"tags":"administrator"},', '{"constructor":{"prototype":{"polluted":1}},', '{"__proto__":null,', '{"arguments":{"__proto__":{"x-max-length":1}},'])), what: 'prototype-keys' };
    case 5:
      return { text: JSON.stringify(body).replace(/}$/, `,"${key}":"dup","${key}":${JSON.stringify(rng.pick(WRONG_TYPES))}}`), what: `duplicate-key(${key})` };
    case 6: {
      const many: Record<string, number> = {};
      for (let i = 0, n = rng.pick([1000, 50_000]); i < n; i++) many[`k${i}`] = i;
      return { text: JSON.stringify({ ...body, arguments: many, headers: many }), what: 'many-keys' };
    }
    case 7: {
      // 100,000 queues in one definitions upload took the broker past 1.3 GB: a cost an administrator may impose, not
      // a fault; it is measured apart (README), and the run keeps to sizes whose state the janitor can clear.
      const arr = Array.from({ length: rng.pick([1000, 10_000]) }, (_, i) => ({ name: `fz.dq${i}`, vhost: 'fz' }));
      return { text: JSON.stringify({ ...body, queues: arr, users: arr.map((a) => a.name) }), what: `big-array(${arr.length})` };
    }
    default:
      return { text: JSON.stringify(rng.pick(WRONG_TYPES)), what: 'not-an-object' };
  }
}

function body(rng: Rng, route: string): { bytes: Buffer | undefined; contentType: string | undefined; what: string } {
  const json = 'application/json';
  const kind = weighted(rng, [
    [20, 'valid'],
    [40, 'mutated'],
    [8, 'truncated'],
    [5, 'invalid-utf8'],
    [5, 'not-json'],
    [8, 'wrong-content-type'],
    [4, 'multipart'],
    [5, 'empty'],
    [5, 'none'],
  ] as const);
  const plausible = plausibleBody(rng, route);
  switch (kind) {
    case 'valid':
      return { bytes: Buffer.from(JSON.stringify(plausible)), contentType: json, what: 'valid-json' };
    case 'mutated': {
      const m = mutateJson(rng, plausible);
      return { bytes: Buffer.from(m.text), contentType: rng.pick([json, json, 'application/json; charset=latin1', 'application/json;charset=utf-16']), what: m.what };
    }
    case 'truncated': {
      const t = JSON.stringify(plausible);
      return { bytes: Buffer.from(t.slice(0, rng.int(t.length))), contentType: json, what: 'truncated-json' };
    }
    case 'invalid-utf8': {
      const t = Buffer.from(JSON.stringify(plausible));
      const bad = rng.pick(['ff', 'c0af', 'eda080', 'f4908080', '80']);
      const at = t.indexOf('"', 2) + 1;
      return { bytes: Buffer.concat([t.subarray(0, at), Buffer.from(bad, 'hex'), t.subarray(at)]), contentType: json, what: `invalid-utf8(${bad})` };
    }
    case 'not-json':
      return { bytes: Buffer.from(rng.pick(['hello', '{', '}', '[1,2', 'null', 'NaN', '{"a":1}garbage', '\u0000', '{"a":undefined}', "{'a':1}", '{"a":1,}'])), contentType: json, what: 'not-json' };
    case 'wrong-content-type':
      return { bytes: Buffer.from(JSON.stringify(plausible)), contentType: rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/octet-stream', '', 'application/json-patch+json', '*/*', 'application/json, text/plain']), what: 'wrong-content-type' };
    case 'multipart': {
      const b = 'fzboundary';
      const text = rng.pick([`--${b}\r\nContent-Disposition: form-data; name="file"; filename="d.json"\r\n\r\n${JSON.stringify(plausible)}\r\n--${b}--\r\n`, `--${b}\r\n\r\ngarbage`, 'no boundary at all', `--${b}\r\nContent-Disposition: form-data; name="file"\r\n\r\n{"queues":[{"name":"fz.m","vhost":"fz"}]}\r\n--${b}--\r\n`]);
      return { bytes: Buffer.from(text), contentType: rng.pick([`multipart/form-data; boundary=${b}`, 'multipart/form-data']), what: 'multipart' };
    }
    case 'empty':
      return { bytes: Buffer.alloc(0), contentType: json, what: 'empty-body' };
    default:
      return { bytes: undefined, contentType: undefined, what: 'no-body' };
  }
}

/** Request `index` of a run with this seed. */
export function buildRequest(seed: number, index: number, routes: readonly Route[], auth: string): HttpRequestSpec {
  const rng = new Rng(mix(seed, index, 0x477));
  const method = weighted(rng, [
    [30, 'GET'],
    [25, 'PUT'],
    [20, 'POST'],
    [15, 'DELETE'],
    [3, 'HEAD'],
    [3, 'PATCH'],
    [4, 'OPTIONS'],
  ] as const);
  const safe = STATE_CHANGING.has(method);
  let route = 'unknown';
  let path: string;
  if (chance(rng, 0.9)) {
    const r = rng.pick(routes);
    route = r.path;
    path = r.path.replace(/:([a-z]+)/g, (_, p: string) => segment(rng, p, safe));
    if (chance(rng, 0.08)) path += rng.pick(['/', '/extra', '//', '/..', '/%2e%2e']);
  } else {
    const n = rng.int(6);
    const segs = Array.from({ length: n }, () => (chance(rng, 0.5) ? rng.pick(['api', 'queues', 'x', 'leveret', '..', 'metrics']) : rng.pick(HOSTILE_SEGMENTS)));
    path = `/${segs.join('/')}`;
    if (chance(rng, 0.05)) path = `/api/${'x/'.repeat(rng.pick([100, 2000]))}`;
  }
  path += query(rng);
  const withBody = safe || chance(rng, 0.1);
  const b = withBody ? body(rng, route) : { bytes: undefined, contentType: undefined, what: 'no-body' };
  const headers: Record<string, string> = { authorization: auth };
  if (b.contentType !== undefined && b.contentType !== '') headers['content-type'] = b.contentType;
  // RabbitMQ's web UI header: a body of any type is read as JSON when it is present (csrf.ts).
  if (chance(rng, 0.1)) headers['x-vhost'] = rng.pick(['fz', '', '%2F']);
  if (chance(rng, 0.05)) headers['accept'] = rng.pick(['text/html', '*/*', 'application/xml', '']);
  if (chance(rng, 0.03)) headers['accept-encoding'] = rng.pick(['gzip', 'br', 'deflate, gzip;q=0', 'x']);
  return { index, method, path, headers, body: b.bytes, label: `${method} ${route} body ${b.what}`, route };
}
