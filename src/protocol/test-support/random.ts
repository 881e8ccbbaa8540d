/** Test support for the protocol tests: the spec as data, a seeded PRNG and random method arguments. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal, type FieldTable, type FieldValue } from '../field-table';

export interface SpecField {
  name: string;
  camel: string;
  type: string;
  domain: string;
  reserved: boolean;
}
export interface SpecMethod {
  id: number;
  classId: number;
  methodId: number;
  name: string;
  synchronous: boolean;
  content: boolean;
  fields: SpecField[];
}

interface RawField {
  name: string;
  domain: string;
  reserved?: boolean;
}
interface RawSpec {
  domains: Record<string, string>;
  constants: { name: string; value: number; class?: string }[];
  classes: {
    id: number;
    name: string;
    properties: RawField[];
    methods: { id: number; name: string; synchronous: boolean; content: boolean; fields: RawField[] }[];
  }[];
}

export const SPEC_PATH = join(__dirname, '..', '..', '..', 'spec', 'amqp0-9-1.json');
export const rawSpec: RawSpec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as RawSpec;

export function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function field(f: RawField): SpecField {
  const type = rawSpec.domains[f.domain];
  if (type === undefined) throw new Error(`unknown domain ${f.domain}`);
  return { name: f.name, camel: camel(f.name), type, domain: f.domain, reserved: !!f.reserved };
}

export const specMethods: SpecMethod[] = rawSpec.classes.flatMap((c) =>
  c.methods.map((m) => ({
    id: c.id * 65536 + m.id,
    classId: c.id,
    methodId: m.id,
    name: `${c.name}.${m.name}`,
    synchronous: m.synchronous,
    content: m.content,
    fields: m.fields.map(field),
  })),
);

export const basicProperties: SpecField[] = rawSpec.classes.find((c) => c.id === 60)!.properties.map(field);

/** mulberry32: small, fast, deterministic. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  bool(): boolean {
    return this.next() < 0.5;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const ALPHABET = ['a', 'b', 'z', 'Q', '0', '9', '.', '-', '_', '#', '*', ' ', 'é', 'ß', '日', '本', '😀'];

export function randomString(rng: Rng, maxBytes: number): string {
  const len = rng.int(Math.min(maxBytes, 40) + 1);
  let s = '';
  for (let i = 0; i < len; i++) {
    const ch = rng.pick(ALPHABET);
    if (Buffer.byteLength(s + ch) > maxBytes) break;
    s += ch;
  }
  // occasionally the longest legal shortstr
  if (maxBytes === 255 && rng.int(10) === 0) s = 'x'.repeat(255);
  return s;
}

export function randomBuffer(rng: Rng, maxLen: number): Buffer {
  const b = Buffer.alloc(rng.int(maxLen + 1));
  for (let i = 0; i < b.length; i++) b[i] = rng.int(256);
  return b;
}

export interface TableOptions {
  /** value kinds to use; amqplib cannot round-trip Date, Decimal, bigint or null identically */
  kinds: readonly string[];
}
export const ALL_KINDS = ['string', 'int', 'long', 'double', 'bool', 'buffer', 'array', 'table', 'null', 'date', 'decimal', 'bigint'];
export const AMQPLIB_KINDS = ['string', 'int', 'long', 'double', 'bool', 'buffer', 'array', 'table', 'null'];

export function randomValue(rng: Rng, depth: number, opts: TableOptions): FieldValue {
  let kind = rng.pick(opts.kinds);
  if (depth >= 3 && (kind === 'array' || kind === 'table')) kind = 'string';
  switch (kind) {
    case 'string':
      return randomString(rng, 60);
    case 'int':
      return rng.int(2 ** 32) - 2 ** 31;
    case 'long':
      return (rng.bool() ? 1 : -1) * (2 ** 31 + rng.int(2 ** 21) * 2 ** 31);
    case 'double':
      return (rng.next() - 0.5) * 1e6 + 0.5;
    case 'bool':
      return rng.bool();
    case 'buffer':
      return randomBuffer(rng, 20);
    case 'array': {
      const n = rng.int(4);
      const a: FieldValue[] = [];
      for (let i = 0; i < n; i++) a.push(randomValue(rng, depth + 1, opts));
      return a;
    }
    case 'table':
      return randomTable(rng, depth + 1, opts);
    case 'null':
      return null;
    case 'date':
      return new Date(rng.int(2 ** 31) * 1000);
    case 'decimal':
      return new Decimal(rng.int(256), rng.int(2 ** 32));
    case 'bigint':
      return BigInt(2 ** 53) + BigInt(rng.int(2 ** 30));
    default:
      throw new Error(kind);
  }
}

export function randomTable(rng: Rng, depth = 0, opts: TableOptions = { kinds: ALL_KINDS }): FieldTable {
  const t: FieldTable = {};
  const n = rng.int(depth === 0 ? 6 : 3);
  for (let i = 0; i < n; i++) t[`k${i}-${randomString(rng, 20)}`] = randomValue(rng, depth, opts);
  return t;
}

export function randomFieldValue(rng: Rng, f: SpecField, opts: TableOptions = { kinds: ALL_KINDS }): unknown {
  switch (f.type) {
    case 'bit':
      return rng.bool();
    case 'octet':
      return rng.int(256);
    case 'short':
      return rng.int(65536);
    case 'long':
      return rng.int(2 ** 32);
    case 'longlong':
    case 'timestamp':
      return rng.int(2 ** 32) * 2 ** 21 + rng.int(2 ** 21);
    case 'shortstr':
      return randomString(rng, 255);
    case 'longstr':
      return randomBuffer(rng, 300);
    case 'table':
      return randomTable(rng, 0, opts);
    default:
      throw new Error(`no generator for ${f.type}`);
  }
}

export function randomArgs(rng: Rng, m: SpecMethod, opts?: TableOptions): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const f of m.fields) args[f.camel] = randomFieldValue(rng, f, opts);
  return args;
}

export function randomProperties(rng: Rng, opts?: TableOptions): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const p of basicProperties) {
    if (rng.bool()) continue;
    props[p.camel] = p.type === 'timestamp' ? rng.int(2 ** 32) : randomFieldValue(rng, p, opts);
  }
  return props;
}
