/**
 * Mutation operators: each takes a valid frame and returns a broken or extreme variant with a label naming what
 * was done ("shortstr-bytes(routing-key)", "frame-size=0xffffffff"). Structure-aware operators find the argument
 * to hit from the spec's field types (wire.argumentSpans), so a mutation lands in a queue name, a table length or a
 * type octet rather than anywhere.
 */
import { METHODS } from '../../src/protocol/generated/amqp';
import { randomBuffer, type Rng, type SpecMethod } from '../../src/protocol/test-support/random';
import { chance, weighted } from './vocabulary';
import {
  argumentSpans,
  AWKWARD_BYTES,
  frame,
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  fv,
  nestedTable,
  payloadOf,
  rawTable,
  shortstr,
  splice,
  tableEntries,
  u16,
  u32,
  u64,
  type FieldSpan,
} from './wire';

/** What a frame is, for choosing mutations that fit it. */
export type FrameKind = 'method' | 'header' | 'body' | 'heartbeat' | 'raw';

export interface Frame {
  bytes: Buffer;
  label: string;
  mutated: boolean;
  kind: FrameKind;
  channel: number;
  /** For method frames built from the spec. */
  method?: SpecMethod;
}

export interface MutationContext {
  frameMax: number;
  /** Channels the connection opens: "unopened" channels are chosen outside these. */
  channels: readonly number[];
}

type Mutator = (rng: Rng, f: Frame, ctx: MutationContext) => Frame | undefined;

function rebuilt(f: Frame, payload: Buffer, what: string): Frame {
  return { ...f, bytes: frame(f.bytes[0]!, f.channel, payload), label: `${f.label} ~${what}`, mutated: true };
}

function withBytes(f: Frame, bytes: Buffer, what: string): Frame {
  return { ...f, bytes, label: `${f.label} ~${what}`, mutated: true };
}

const bitflip: Mutator = (rng, f) => {
  const b = Buffer.from(f.bytes);
  const n = 1 + rng.int(4);
  const inPayload = chance(rng, 0.8) && b.length > 8;
  for (let i = 0; i < n; i++) {
    const at = inPayload ? 7 + rng.int(b.length - 8) : rng.int(b.length);
    b[at] = b[at]! ^ (1 << rng.int(8));
  }
  return withBytes(f, b, `bitflip${inPayload ? '' : '-anywhere'}x${n}`);
};

const truncate: Mutator = (rng, f) => {
  const p = payloadOf(f.bytes);
  if (p.length === 0) return undefined;
  const keep = rng.int(p.length);
  return rebuilt(f, p.subarray(0, keep), `truncate(${p.length}->${keep})`);
};

const extend: Mutator = (rng, f) => {
  const extra = chance(rng, 0.5) ? randomBuffer(rng, 32) : Buffer.alloc(1 + rng.int(8));
  if (extra.length === 0) return undefined;
  return rebuilt(f, Buffer.concat([payloadOf(f.bytes), extra]), `extend(+${extra.length})`);
};

const frameSize: Mutator = (rng, f, ctx) => {
  const len = f.bytes.length - 8;
  const size = rng.pick([0, Math.max(0, len - 1), len + 1, len + 7, 0xffffffff, 0x7fffffff, ctx.frameMax - 7, ctx.frameMax + 1, rng.int(2 ** 32)]);
  const b = Buffer.from(f.bytes);
  b.writeUInt32BE(size >>> 0, 3);
  return withBytes(f, b, `frame-size=${size}`);
};

const frameEnd: Mutator = (rng, f) => {
  const b = Buffer.from(f.bytes);
  b[b.length - 1] = rng.pick([0x00, 0xcf, 0xff, 0xcd, 0x0a]);
  return withBytes(f, b, `frame-end=0x${b[b.length - 1]!.toString(16)}`);
};

const frameType: Mutator = (rng, f) => {
  const b = Buffer.from(f.bytes);
  b[0] = rng.pick([0, 4, 5, 6, 7, 9, 65, 255, FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT].filter((t) => t !== f.bytes[0]));
  return withBytes(f, b, `frame-type=${b[0]}`);
};

const channel: Mutator = (rng, f, ctx) => {
  const candidates = [0, 65535, 2047, 2048, 5 + rng.int(100), 1000 + rng.int(1000)].filter((c) => c !== f.channel && !ctx.channels.includes(c));
  const c = rng.pick(candidates.length > 0 ? candidates : [65535]);
  const b = Buffer.from(f.bytes);
  b.writeUInt16BE(c, 1);
  return { ...f, bytes: b, channel: c, label: `${f.label} ~channel=${c}`, mutated: true };
};

const methodId: Mutator = (rng, f) => {
  const p = payloadOf(f.bytes);
  if (p.length < 4) return undefined;
  let cls: number;
  let mid: number;
  if (chance(rng, 0.5)) {
    const other = rng.pick(METHODS);
    cls = other.id >>> 16;
    mid = other.id & 0xffff;
  } else {
    [cls, mid] = rng.pick([
      [60, 999],
      [0, 0],
      [65535, 65535],
      [60, 255],
      [30, 10],
      [80, 10],
      [85, 11],
      [10, 999],
    ] as const);
  }
  return rebuilt(f, Buffer.concat([u16(cls), u16(mid), p.subarray(4)]), `method-id=${cls}.${mid}`);
};

function spansOf(f: Frame, types: readonly string[]): FieldSpan[] {
  if (f.method === undefined) return [];
  return argumentSpans(f.method.fields, payloadOf(f.bytes)).filter((s) => types.includes(s.field.type));
}

const shortstrLength: Mutator = (rng, f) => {
  const spans = spansOf(f, ['shortstr']);
  if (spans.length === 0) return undefined;
  const s = rng.pick(spans);
  const p = Buffer.from(payloadOf(f.bytes));
  const len = p[s.start]!;
  p[s.start] = rng.pick([255, len + 1, Math.max(0, len - 1), 0, 128]) & 0xff;
  return rebuilt(f, p, `shortstr-len(${s.field.name}: ${len}->${p[s.start]})`);
};

const shortstrBytes: Mutator = (rng, f) => {
  const spans = spansOf(f, ['shortstr']);
  if (spans.length === 0) return undefined;
  const s = rng.pick(spans);
  const bytes = rng.pick(AWKWARD_BYTES);
  return rebuilt(f, splice(payloadOf(f.bytes), s.start, s.end, shortstr(bytes)), `shortstr-bytes(${s.field.name}=${bytes.toString('hex').slice(0, 16)})`);
};

const longLength: Mutator = (rng, f) => {
  const spans = spansOf(f, ['longstr', 'table']);
  if (spans.length === 0) return undefined;
  const s = rng.pick(spans);
  const p = Buffer.from(payloadOf(f.bytes));
  const len = p.readUInt32BE(s.start);
  const bad = rng.pick([0xffffffff, 0x80000000, len + 1, len + 1000, Math.max(0, len - 1), 0, 2 ** 31 - 1]);
  p.writeUInt32BE(bad >>> 0, s.start);
  return rebuilt(f, p, `${s.field.type}-len(${s.field.name}: ${len}->${bad})`);
};

const tableType: Mutator = (rng, f) => {
  const spans = spansOf(f, ['table']);
  const p = Buffer.from(payloadOf(f.bytes));
  const entries = spans.flatMap((s) => tableEntries(p, s.start).map((e) => ({ s, e })));
  if (entries.length === 0) return undefined;
  const { s, e } = rng.pick(entries);
  const was = p[e.typeAt]!;
  p[e.typeAt] = rng.pick([0x00, 0x5a, 0x7a, 0x55, 0x4c, 0x58, 0xff, 0x46, 0x41, 0x53, 0x56, 0x74, 0x78, 0x6c, 0x54, 0x44]);
  return rebuilt(f, p, `table-type(${s.field.name}: '${String.fromCharCode(was)}'->0x${p[e.typeAt]!.toString(16)})`);
};

/** A table argument replaced by a poisoned one: deep, extreme values, duplicate or awkward keys. */
export function poisonTable(rng: Rng): { bytes: Buffer; what: string } {
  switch (rng.int(7)) {
    case 0: {
      const depth = rng.pick([63, 64, 65, 66, 100, 1000, 5000]);
      return { bytes: nestedTable(depth, fv.i32(1), rng.bool()), what: `nested-${depth}` };
    }
    case 1:
      return {
        bytes: rawTable([
          ['x-message-ttl', fv.i64(-(2n ** 63n))],
          ['x-max-length', fv.i64(2n ** 63n - 1n)],
          ['x-expires', fv.f64(NaN)],
          ['x-max-priority', fv.u8(255)],
          ['t', fv.timestamp(0xffffffffffffffffn)],
        ]),
        what: 'extremes',
      };
    case 2:
      return { bytes: rawTable([['x-message-ttl', fv.i32(10)], ['x-message-ttl', fv.str('x')], ['x-queue-type', fv.str('quorum')], ['x-queue-type', fv.i32(1)]]), what: 'duplicate-keys' };
    case 3:
      return { bytes: rawTable([[rng.pick(AWKWARD_BYTES), fv.str(rng.pick(AWKWARD_BYTES))], ['', fv.void()]]), what: 'awkward-keys' };
    case 4:
      return { bytes: rawTable([['__proto__', fv.table([['x-max-length', fv.i32(0)]])], ['constructor', fv.i32(1)]]), what: 'proto-keys' };
    case 5:
      return { bytes: rawTable([['x-dead-letter-exchange', rng.pick([fv.decimal(1, 1), fv.bytes(Buffer.from('fz.x.0')), fv.f32(1), fv.array([fv.str('a')])])], ['x-queue-type', fv.bytes(Buffer.from('quorum'))]]), what: 'wrong-types' };
    default: {
      // Thousands of distinct keys with void values, written as one latin1 string.
      let text = '';
      for (let i = 0, n = 1 + rng.int(3000); i < n; i++) {
        const key = `k${i}`;
        text += `${String.fromCharCode(key.length)}${key}V`;
      }
      const body = Buffer.from(text, 'latin1');
      return { bytes: Buffer.concat([u32(body.length), body]), what: 'many-keys' };
    }
  }
}

const tablePoison: Mutator = (rng, f) => {
  const spans = spansOf(f, ['table']);
  if (spans.length === 0) return undefined;
  const s = rng.pick(spans);
  const { bytes, what } = poisonTable(rng);
  return rebuilt(f, splice(payloadOf(f.bytes), s.start, s.end, bytes), `table-poison(${s.field.name}: ${what})`);
};

const numericExtreme: Mutator = (rng, f) => {
  const spans = spansOf(f, ['octet', 'short', 'long', 'longlong', 'timestamp']);
  if (spans.length === 0) return undefined;
  const s = rng.pick(spans);
  const p = Buffer.from(payloadOf(f.bytes));
  const fill = rng.pick([0x00, 0xff, 0x80, 0x7f]);
  p.fill(fill, s.start, s.end);
  return rebuilt(f, p, `numeric(${s.field.name}=0x${fill.toString(16)}..)`);
};

const bitsAll: Mutator = (rng, f) => {
  const spans = spansOf(f, ['bit']);
  if (spans.length === 0) return undefined;
  const s = rng.pick(spans);
  const p = Buffer.from(payloadOf(f.bytes));
  p[s.start] = rng.pick([0xff, 0x00, 0xfe]);
  return rebuilt(f, p, `bits=0x${p[s.start]!.toString(16)}`);
};

const headerClass: Mutator = (rng, f) => {
  const p = Buffer.from(payloadOf(f.bytes));
  if (p.length < 4) return undefined;
  const cls = rng.pick([0, 10, 50, 61, 65535]);
  p.writeUInt16BE(cls, 0);
  if (chance(rng, 0.3)) p.writeUInt16BE(1 + rng.int(65535), 2); // weight must be 0
  return rebuilt(f, p, `header-class=${cls}`);
};

const headerBodySize: Mutator = (rng, f) => {
  const p = Buffer.from(payloadOf(f.bytes));
  if (p.length < 12) return undefined;
  const size = rng.pick([0xffffffffffffffffn, 2n ** 63n, 2n ** 63n - 1n, 2n ** 53n + 1n, 2n ** 40n, 0n, 1n, 2n ** 32n]);
  u64(size).copy(p, 4);
  return rebuilt(f, p, `body-size=0x${size.toString(16)}`);
};

const headerFlags: Mutator = (rng, f) => {
  const p = Buffer.from(payloadOf(f.bytes));
  if (p.length < 14) return undefined;
  const flags = p.readUInt16BE(12);
  const changed = rng.pick([flags | 1, flags | 2, flags | (1 << (15 - rng.int(14))), 0xffff, flags ^ (1 << (2 + rng.int(14)))]);
  p.writeUInt16BE(changed & 0xffff, 12);
  return rebuilt(f, p, `property-flags(0x${flags.toString(16)}->0x${changed.toString(16)})`);
};

const heartbeatPayload: Mutator = (rng, f) => {
  const payload = randomBuffer(rng, 16);
  return rebuilt(f, payload.length > 0 ? payload : Buffer.from([0]), 'heartbeat-payload');
};

const bodyOversize: Mutator = (rng, f, ctx) => {
  const size = ctx.frameMax - 8 + 1 + rng.int(64);
  return rebuilt(f, Buffer.alloc(size, 0x62), `body-over-frame-max(${size})`);
};

const ANY: ReadonlyArray<readonly [number, Mutator]> = [
  [10, bitflip],
  [6, frameSize],
  [3, frameEnd],
  [3, frameType],
  [6, channel],
];

const BY_KIND: Record<FrameKind, ReadonlyArray<readonly [number, Mutator]>> = {
  method: [
    ...ANY,
    [8, truncate],
    [5, extend],
    [5, methodId],
    [10, shortstrLength],
    [14, shortstrBytes],
    [8, longLength],
    [8, tableType],
    [10, tablePoison],
    [6, numericExtreme],
    [4, bitsAll],
  ],
  header: [...ANY, [6, truncate], [6, extend], [8, headerClass], [12, headerBodySize], [12, headerFlags]],
  body: [...ANY, [4, bodyOversize]],
  heartbeat: [...ANY, [6, heartbeatPayload]],
  raw: [[1, bitflip]],
};

/** A mutated variant of `f`; tries a few operators when one does not apply (e.g. no shortstr to hit). */
export function mutate(rng: Rng, f: Frame, ctx: MutationContext): Frame {
  const table = BY_KIND[f.kind];
  for (let attempt = 0; attempt < 6; attempt++) {
    const m = weighted(rng, table)(rng, f, ctx);
    if (m !== undefined) return m;
  }
  return bitflip(rng, f, ctx)!;
}



/**
 * Bytes with little or no structure: plain random bytes (the broker sees a frame header of a random type, channel
 * and size), or a frame of a random type and channel with a random payload and the right size and end octet.
 */
export function randomBytesFrame(rng: Rng, channel: number): Frame {
  if (chance(rng, 0.5)) {
    const bytes = randomBuffer(rng, 64);
    const b = bytes.length > 0 ? bytes : Buffer.from([rng.int(256)]);
    return { bytes: b, label: `random bytes(${b.length}B) ~random-bytes`, mutated: true, kind: 'raw', channel };
  }
  const type = rng.pick([FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT, rng.int(256)]);
  const ch = rng.pick([0, channel, rng.int(65536)]);
  const payload = randomBuffer(rng, 200);
  return { bytes: frame(type, ch, payload), label: `random frame(type ${type}, ch${ch}, ${payload.length}B) ~random-frame`, mutated: true, kind: 'raw', channel: ch };
}
