/**
 * Value kinds: how a raw string (flag, env) or a JSON value (file) becomes a typed value, and what was expected.
 */
import { isIP } from 'node:net';
import {
  CERT_LOGIN_FROM,
  CONNECTION_MAX_MAX,
  DURABILITIES,
  LOG_LEVELS,
  type CertLoginFrom,
  type ConnectionMax,
  type CountLimit,
  type Durability,
  type LogLevel,
  type Port,
  type ResourceLimit,
} from './settings';

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

export interface Kind<T> {
  fromString(raw: string): Parsed<T>;
  fromJson(value: unknown): Parsed<T>;
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail<T>(expected: string): Parsed<T> {
  return { ok: false, expected };
}

export function integer(min: number, max: number, hint?: (value: number) => string | undefined): Kind<number> {
  const expected = `an integer ${min}-${max}`;
  const check = (n: number): Parsed<number> => {
    if (!Number.isSafeInteger(n)) return fail(expected);
    if (n < min || n > max) {
      const extra = hint?.(n);
      return fail(extra === undefined ? expected : `${expected} (${extra})`);
    }
    return ok(n);
  };
  return {
    fromString: (raw) => (/^\d{1,16}$/.test(raw.trim()) ? check(Number(raw.trim())) : fail(expected)),
    fromJson: (value) => (typeof value === 'number' ? check(value) : fail(expected)),
  };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An IP address (IPv6 may be written in brackets) or a host name; returns the address without brackets. */
function normaliseAddress(raw: string): string | undefined {
  const trimmed = raw.trim();
  const unbracketed = /^\[(.*)\]$/.exec(trimmed)?.[1] ?? trimmed;
  if (isIP(unbracketed) !== 0) return unbracketed;
  if (unbracketed === trimmed && HOSTNAME.test(trimmed)) return trimmed;
  return undefined;
}

function addressList(list: readonly string[], expected: string): Parsed<string[]> {
  const out: string[] = [];
  for (const item of list) {
    const address = normaliseAddress(item);
    if (address === undefined) return fail(expected);
    if (!out.includes(address)) out.push(address);
  }
  return out.length === 0 ? fail(expected) : ok(out);
}

export const addresses: Kind<string[]> = {
  fromString: (raw) =>
    addressList(
      raw.split(',').filter((s) => s.trim() !== ''),
      'a comma-separated list of IP addresses or host names',
    ),
  fromJson: (value) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? addressList(value as string[], 'a non-empty array of IP addresses or host names')
      : fail('a non-empty array of IP addresses or host names'),
};

/** User names; "none" (or an empty string) on a flag or in the environment means the empty list. */
export const userList: Kind<string[]> = {
  fromString: (raw) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed === 'none') return ok([]);
    const users = trimmed.split(',').map((s) => s.trim());
    return users.every((u) => u !== '') ? ok(users) : fail('a comma-separated list of user names, or "none"');
  },
  fromJson: (value) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')
      ? ok([...(value as string[])])
      : fail('an array of user names'),
};

/** A non-empty string; `maxBytes` for values that travel as AMQP short strings (user, vhost). */
export function text(maxBytes?: number): Kind<string> {
  const expected = maxBytes === undefined ? 'a non-empty string' : `a non-empty string of at most ${maxBytes} bytes`;
  const check = (s: string): Parsed<string> =>
    s === '' || (maxBytes !== undefined && Buffer.byteLength(s, 'utf8') > maxBytes) ? fail(expected) : ok(s);
  return {
    fromString: check,
    fromJson: (value) => (typeof value === 'string' ? check(value) : fail(expected)),
  };
}

/**
 * Where durable state lives: "sqlite" (one SQLite file in the data directory, the default) or a PostgreSQL URL
 * (postgres://user:pass@host:port/database), which also makes the node one of an active/standby group.
 */
export const storeLocation: Kind<string> = {
  fromString: (raw) => storeLocation.fromJson(raw.trim()),
  fromJson: (value) => {
    const expected = '"sqlite" or a postgres://user@host:port/database URL';
    if (value === 'sqlite') return ok(value);
    if (typeof value !== 'string' || !/^postgres(ql)?:\/\//.test(value)) return fail(expected);
    try {
      const url = new URL(value);
      return url.hostname === '' ? fail(expected) : ok(value);
    } catch {
      return fail(expected);
    }
  },
};

export const logLevel: Kind<LogLevel> = {
  fromString: (raw) => logLevel.fromJson(raw.trim()),
  fromJson: (value) =>
    typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)
      ? ok(value as LogLevel)
      : fail(`one of ${LOG_LEVELS.join(', ')}`),
};

export const durability: Kind<Durability> = {
  fromString: (raw) => durability.fromJson(raw.trim()),
  fromJson: (value) =>
    typeof value === 'string' && (DURABILITIES as readonly string[]).includes(value)
      ? ok(value as Durability)
      : fail(`one of ${DURABILITIES.join(', ')}`),
};

/** A count, or "infinity" (any case) for none, as rabbitmq.conf writes connection_max and its other limits. */
export function countLimit(min = 0, max = CONNECTION_MAX_MAX): Kind<CountLimit> {
  const count = integer(min, max);
  const expected = `an integer ${min}-${max} or "infinity"`;
  const infinity = (value: unknown): boolean => typeof value === 'string' && value.trim().toLowerCase() === 'infinity';
  const either = (parsed: Parsed<number>): Parsed<CountLimit> => (parsed.ok ? parsed : fail(expected));
  return {
    fromString: (raw) => (infinity(raw) ? ok('infinity') : either(count.fromString(raw))),
    fromJson: (value) => (infinity(value) ? ok('infinity') : either(count.fromJson(value))),
  };
}

export const connectionMax: Kind<ConnectionMax> = countLimit();

/** A listener port, or "off" (also "none", RabbitMQ's `listeners.tcp = none`, or JSON false) for no listener. */
export function port(max: number): Kind<Port> {
  const count = integer(0, max);
  const expected = `an integer 0-${max} or "off"`;
  const off = (value: unknown): boolean =>
    value === false || (typeof value === 'string' && ['off', 'none'].includes(value.trim().toLowerCase()));
  const either = (parsed: Parsed<number>): Parsed<Port> => (parsed.ok ? parsed : fail(expected));
  return {
    fromString: (raw) => (off(raw) ? ok('off') : either(count.fromString(raw))),
    fromJson: (value) => (off(value) ? ok('off') : either(count.fromJson(value))),
  };
}

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];

/**
 * A yes/no setting: true/false (also yes/no, on/off, 1/0) on a flag or in the environment, a JSON boolean in the
 * file. `synonyms` adds RabbitMQ's spellings, e.g. verify_peer / verify_none.
 */
export function boolean(synonyms: { true?: readonly string[]; false?: readonly string[] } = {}): Kind<boolean> {
  const yes = [...TRUE_WORDS, ...(synonyms.true ?? [])];
  const no = [...FALSE_WORDS, ...(synonyms.false ?? [])];
  const expected = `true or false${[...(synonyms.true ?? []), ...(synonyms.false ?? [])].map((w) => ` or ${w}`).join('')}`;
  const word = (raw: string): Parsed<boolean> => {
    const w = raw.trim().toLowerCase();
    if (yes.includes(w)) return ok(true);
    if (no.includes(w)) return ok(false);
    return fail(expected);
  };
  return {
    fromString: word,
    fromJson: (value) => (typeof value === 'boolean' ? ok(value) : typeof value === 'string' ? word(value) : fail(expected)),
  };
}

export const certLoginFrom: Kind<CertLoginFrom> = {
  fromString: (raw) => certLoginFrom.fromJson(raw.trim()),
  fromJson: (value) =>
    typeof value === 'string' && (CERT_LOGIN_FROM as readonly string[]).includes(value)
      ? ok(value as CertLoginFrom)
      : fail(`one of ${CERT_LOGIN_FROM.join(', ')}`),
};

/** RabbitMQ's information units: k, M, G, T, P (and kiB, Mi, ...) are powers of 1024; kB, MB, GB, TB, PB of 1000. */
const UNITS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  ['k', 'M', 'G', 'T', 'P'].forEach((letter, i) => {
    const binary = 1024 ** (i + 1);
    const upper = letter.toUpperCase();
    for (const name of [letter, upper, `${upper}i`, `${upper}iB`, `${letter}iB`]) table[name] = binary;
    table[`${upper}B`] = 1000 ** (i + 1);
    table[`${letter}B`] = 1000 ** (i + 1);
  });
  return table;
})();

/** Largest relative threshold accepted (RabbitMQ clamps the memory watermark at 1.0; disk's mem_relative may exceed it). */
const RELATIVE_MAX = 1000;

/**
 * A threshold in bytes or relative to memory, written as RabbitMQ writes them: "0.4" or {"relative": 0.4} (a
 * fraction: a number with a decimal point), "2GB", "512MiB", "50000000" or {"absolute": "2GB"} (bytes).
 */
export const resourceLimit: Kind<ResourceLimit> = (() => {
  const expected = 'a fraction such as 0.4, or a size in bytes such as 50000000, 512MiB or 2GB';
  const parse = (raw: string): Parsed<ResourceLimit> => {
    const text = raw.trim();
    if (/^\d*\.\d+$/.test(text)) {
      const fraction = Number(text);
      return fraction > 0 && fraction <= RELATIVE_MAX ? ok({ relative: fraction }) : fail(expected);
    }
    const sized = /^(\d{1,16})\s*([A-Za-z]{1,3})?$/.exec(text);
    if (sized === null) return fail(expected);
    const unit = sized[2] === undefined ? 1 : UNITS[sized[2]];
    if (unit === undefined) return fail(expected);
    const bytes = Number(sized[1]) * unit;
    return Number.isSafeInteger(bytes) ? ok({ absolute: bytes }) : fail(expected);
  };
  const fromJson = (value: unknown): Parsed<ResourceLimit> => {
    if (typeof value === 'string') return parse(value);
    if (typeof value === 'number') return parse(Number.isInteger(value) ? String(value) : value.toFixed(6).replace(/0+$/, ''));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      const [key, inner] = entries[0] ?? [];
      if (entries.length === 1 && key === 'relative' && typeof inner === 'number' && inner > 0 && inner <= RELATIVE_MAX) {
        return ok({ relative: inner });
      }
      if (entries.length === 1 && key === 'absolute') {
        const parsed = typeof inner === 'string' || typeof inner === 'number' ? parse(String(inner)) : fail<ResourceLimit>(expected);
        return parsed.ok && 'absolute' in parsed.value ? parsed : fail(expected);
      }
    }
    return fail(expected);
  };
  return { fromString: parse, fromJson };
})();
