/**
 * Message content for the fuzzer: content-header property lists that are valid and ordinary, valid but extreme
 * (timestamps 0x00ffffffffffffff and 0xffffffffffffffff, int64 extremes, tables nested past 64, forged x-death,
 * odd CC/BCC, x-delay, expiration texts), or malformed (a flag set with its value missing, trailing bytes, a
 * continuation flag, lengths past the end); and the header and body frames that carry a body.
 */
import { Decimal, type FieldTable } from '../../src/protocol/field-table';
import { encodeBasicProperties, FRAME_BODY, FRAME_HEADER, type BasicProperties } from '../../src/protocol/generated/amqp';
import { randomBuffer, randomProperties, type Rng } from '../../src/protocol/test-support/random';
import { chance, weighted, type Pools, type Topology } from './vocabulary';
import { AWKWARD_BYTES, FRAME_OVERHEAD, frame, fv, headerPayload, nestedValue, rawPropertyList, rawTable, shortstr, u64, type RawPropertyValues } from './wire';

export type PropertiesMode = 'plain' | 'random' | 'extreme' | 'malformed';

export interface Properties {
  bytes: Buffer;
  /** What was unusual about them ('' for plain). */
  label: string;
  /** Extreme or malformed: counts as a mutated frame. */
  mutated: boolean;
}

/** Position of each basic property in the property list (and its flag bit, 15 - position). */
const P = {
  contentType: 0,
  contentEncoding: 1,
  headers: 2,
  deliveryMode: 3,
  priority: 4,
  correlationId: 5,
  replyTo: 6,
  expiration: 7,
  messageId: 8,
  timestamp: 9,
  type: 10,
  userId: 11,
  appId: 12,
  clusterId: 13,
} as const;

const EXPIRATIONS = ['0', '1', '5', '100', '-1', 'abc', '1e3', '99999999999999999999', '', ' 5', '+5', '5 ', '\u0663', '315360000001', '0x10', `${'0'.repeat(200)}1`];
const TIMESTAMPS: readonly bigint[] = [0x00ffffffffffffffn, 0xffffffffffffffffn, 0n, 0x8000000000000000n, 2n ** 53n, 2n ** 53n + 1n, 253402300800n];
const INT64_EXTREMES: readonly bigint[] = [-(2n ** 63n), 2n ** 63n - 1n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n];

function awkward(rng: Rng): Buffer {
  return rng.pick(AWKWARD_BYTES);
}

/** Header entries that poison the paths that read headers: dead-lettering, CC/BCC, delays, delivery counts, dedup. */
function poisonEntry(rng: Rng, pools: Pools): [string | Buffer, Buffer] {
  const q = (): string => rng.pick(pools.queues);
  const extremeTs = (): Buffer => fv.timestamp(rng.pick(TIMESTAMPS));
  switch (rng.int(22)) {
    case 0:
      return [
        'x-death',
        fv.array([
          fv.table([
            ['count', rng.bool() ? fv.i64(rng.pick(INT64_EXTREMES)) : fv.str('many')],
            ['reason', rng.pick([fv.str('expired'), fv.str('rejected'), fv.str('maxlen'), fv.str('delivery_limit'), fv.str('bogus'), fv.i32(1)])],
            ['queue', rng.bool() ? fv.str(q()) : fv.void()],
            ['time', extremeTs()],
            ['exchange', rng.bool() ? fv.str(rng.pick(pools.exchanges)) : fv.i32(5)],
            ['routing-keys', rng.bool() ? fv.array([fv.str('k'), fv.i32(1)]) : fv.str('notarray')],
            ['original-expiration', fv.str(rng.pick(EXPIRATIONS))],
          ]),
        ]),
      ];
    case 1:
      return ['x-death', rng.pick([fv.str('garbage'), fv.array([fv.i32(1), fv.void()]), fv.array([]), fv.table([]), fv.void()])];
    case 2:
      return ['x-death', fv.array(Array(rng.pick([1, 2, 50, 300])).fill(fv.table([['count', fv.i64(1n)], ['reason', fv.str('expired')], ['queue', fv.str(q())]])) as Buffer[])];
    case 3:
      return ['x-delivery-count', rng.pick([fv.str('x'), fv.i64(2n ** 63n - 1n), fv.f64(NaN), fv.i32(-1), fv.void(), fv.f32(Infinity)])];
    case 4:
      return ['x-delay', rng.pick([fv.i64(-(2n ** 63n)), fv.f64(Infinity), fv.f64(NaN), fv.str('10'), fv.i32(-1), fv.i64(2n ** 62n), fv.i32(5), fv.i32(2 ** 31 - 1), fv.decimal(2, 500)])];
    case 5:
      return ['CC', rng.pick([fv.array([fv.str(q()), fv.i32(5), fv.array([])]), fv.str(q()), fv.array([]), fv.array(Array(50).fill(fv.str(q())) as Buffer[])])];
    case 6:
      return ['BCC', rng.pick([fv.array([fv.str(q()), fv.str(q())]), fv.bytes(Buffer.from(q())), fv.i32(7), fv.array([fv.void()])])];
    case 7:
      return [rng.pick(['x-first-death-queue', 'x-first-death-reason', 'x-first-death-exchange', 'x-last-death-queue', 'x-last-death-reason']), rng.pick([fv.i32(5), fv.table([]), fv.void(), fv.str(awkward(rng))])];
    case 8:
      return ['ts', extremeTs()];
    case 9:
      return ['big', fv.i64(rng.pick(INT64_EXTREMES))];
    case 10:
      return ['num', rng.pick([fv.f64(NaN), fv.f64(-0), fv.f64(Infinity), fv.f32(NaN), fv.decimal(255, 0xffffffff), fv.u32(0xffffffff), fv.i8(-128)])];
    case 11: {
      const depth = rng.pick([10, 62, 63, 64, 65, 66, 100, 1000, 5000]);
      return ['deep', nestedValue(depth, fv.i32(1), rng.bool())];
    }
    case 12:
      return [rng.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty']), rng.pick([fv.table([['polluted', fv.bool(true)]]), fv.str('x'), fv.i32(1)])];
    case 13:
      return [awkward(rng), fv.str(awkward(rng))];
    case 14:
      return ['', fv.void()];
    case 15:
      return ['arr', fv.array([Buffer.alloc(1 + rng.int(2000), 0x56)])];
    case 16:
      return ['x-match', rng.pick([fv.str('all'), fv.str('any'), fv.i32(1)])];
    case 17:
      return ['h', rng.pick([fv.str('d1'), fv.str('d2'), fv.table([]), fv.i64(2n ** 63n - 1n), fv.bytes(randomBuffer(rng, 40))])];
    case 18:
      return ['x-deduplication-header', fv.str(rng.pick(['h', 'x-death', '']))];
    case 19:
      return ['x-received-from', fv.array([fv.table([['uri', fv.str(awkward(rng))]])])];
    case 20:
      return ['dup', fv.i32(1)]; // written twice by the caller's loop sometimes
    default:
      return ['x-message-ttl', rng.pick([fv.i32(-1), fv.str('5')])];
  }
}

function rawHeaders(rng: Rng, pools: Pools): Buffer {
  const entries: Array<[string | Buffer, Buffer]> = [];
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) entries.push(poisonEntry(rng, pools));
  if (chance(rng, 0.1)) entries.push(['dup', fv.str('again')], ['dup', fv.i32(2)]);
  return rawTable(entries);
}

/** Valid-but-extreme raw property values, plus a label of what was chosen. */
function extremeValues(rng: Rng, pools: Pools, persistent: boolean): { values: RawPropertyValues; label: string } {
  const values: RawPropertyValues = [];
  const labels: string[] = [];
  values[P.deliveryMode] = Buffer.from([persistent ? 2 : 1]);
  const picks = 1 + rng.int(4);
  for (let i = 0; i < picks; i++) {
    switch (rng.int(10)) {
      case 0:
      case 1:
      case 2:
        values[P.headers] = rawHeaders(rng, pools);
        labels.push('headers');
        break;
      case 3: {
        const ts = rng.pick(TIMESTAMPS);
        values[P.timestamp] = u64(ts);
        labels.push(`timestamp=0x${ts.toString(16)}`);
        break;
      }
      case 4: {
        const e = rng.pick(EXPIRATIONS);
        values[P.expiration] = shortstr(e);
        labels.push(`expiration=${JSON.stringify(e.slice(0, 24))}`);
        break;
      }
      case 5:
        values[P.priority] = Buffer.from([rng.pick([0, 9, 10, 11, 255])]);
        labels.push('priority');
        break;
      case 6:
        values[P.deliveryMode] = Buffer.from([rng.pick([0, 3, 255])]);
        labels.push('delivery-mode');
        break;
      case 7:
        values[P.userId] = shortstr(rng.pick(['guest', 'other', '', 'guest\u0000']));
        labels.push('user-id');
        break;
      case 8:
        values[P.replyTo] = shortstr(rng.pick(['amq.rabbitmq.reply-to', 'amq.rabbitmq.reply-to.bogus', 'amq.rabbitmq.reply-to.g1hkAA==', '']));
        labels.push('reply-to');
        break;
      default: {
        const at = rng.pick([P.contentType, P.contentEncoding, P.correlationId, P.messageId, P.type, P.appId, P.clusterId]);
        values[at] = shortstr(rng.bool() ? awkward(rng) : Buffer.from(rng.pick(['d1', 'd2', 'application/json'])));
        labels.push(`shortstr#${at}`);
      }
    }
  }
  return { values, label: `extreme(${labels.join(',')})` };
}

/** Content-header property bytes of the given mode. `persistent` sets delivery-mode 2 where the mode allows. */
export function properties(rng: Rng, pools: Pools, mode: PropertiesMode, persistent: boolean): Properties {
  switch (mode) {
    case 'plain': {
      const props: BasicProperties = { deliveryMode: persistent ? 2 : 1 };
      if (rng.bool()) props.messageId = rng.pick(['d1', 'd2', `m${rng.int(1000)}`]);
      if (chance(rng, 0.3)) props.headers = { h: rng.pick(['d1', 'd2']), 'x-delay': rng.int(200) } as FieldTable;
      if (chance(rng, 0.2)) props.expiration = String(rng.int(100));
      if (chance(rng, 0.2)) props.priority = rng.int(12);
      return { bytes: encodeBasicProperties(props), label: '', mutated: false };
    }
    case 'random': {
      try {
        const props = randomProperties(rng) as BasicProperties;
        if (persistent) props.deliveryMode = 2;
        if (props.headers !== undefined && chance(rng, 0.2)) props.headers['dec'] = new Decimal(3, 1234);
        return { bytes: encodeBasicProperties(props), label: 'random', mutated: false };
      } catch {
        return properties(rng, pools, 'plain', persistent);
      }
    }
    case 'extreme': {
      const { values, label } = extremeValues(rng, pools, persistent);
      return { bytes: rawPropertyList(values), label, mutated: true };
    }
    case 'malformed': {
      const { values, label } = extremeValues(rng, pools, persistent);
      const kind = rng.int(7);
      switch (kind) {
        case 0:
          return { bytes: rawPropertyList(values, { missing: [rng.int(14)] }), label: `${label}+flag-without-value`, mutated: true };
        case 1:
          return { bytes: rawPropertyList(values, { trailing: Buffer.concat([Buffer.from([rng.int(256)]), randomBuffer(rng, 15)]) }), label: `${label}+trailing-bytes`, mutated: true };
        case 2:
          return { bytes: rawPropertyList(values, { extraFlags: 1, moreFlagWords: rng.bool() ? [rng.int(65536)] : [] }), label: `${label}+continuation-flag`, mutated: true };
        case 3:
          return { bytes: rawPropertyList(values, { extraFlags: 2 }), label: `${label}+unknown-flag`, mutated: true };
        case 4: {
          // A short string whose length runs past the end of the list.
          values[P.contentType] = Buffer.from([255, 0x61]);
          return { bytes: rawPropertyList(values), label: `${label}+shortstr-past-end`, mutated: true };
        }
        case 5: {
          // A headers table whose length runs past the end.
          values[P.headers] = Buffer.concat([Buffer.from([0x00, 0x10, 0x00, 0x00]), Buffer.from([1, 0x61, 0x53])]);
          return { bytes: rawPropertyList(values), label: `${label}+table-past-end`, mutated: true };
        }
        default: {
          // Unknown type octet inside the headers.
          values[P.headers] = rawTable([['k', Buffer.from([rng.pick([0x00, 0x5a, 0x7a, 0x55, 0xff])])], ['v', fv.i32(1)]]);
          return { bytes: rawPropertyList(values), label: `${label}+unknown-field-type`, mutated: true };
        }
      }
    }
  }
}

export function propertiesMode(rng: Rng, rich: boolean): PropertiesMode {
  return weighted(rng, rich
    ? [[25, 'plain'], [15, 'random'], [45, 'extreme'], [15, 'malformed']] as const
    : [[55, 'plain'], [15, 'random'], [20, 'extreme'], [10, 'malformed']] as const);
}

/**
 * A body of a size drawn for fuzzing: mostly small; sometimes exactly at or just past a frame's room, or spanning
 * several frames (rarely with the 131072-byte frame_max, which makes those bodies big). `small` keeps it under 64.
 */
export function body(rng: Rng, frameMax: number, small = false): Buffer {
  const room = frameMax - FRAME_OVERHEAD;
  const big = frameMax <= 8192 ? 1 : 0.1;
  const size = small
    ? rng.int(65)
    : weighted(rng, [
        [15, 0],
        [55, 1 + rng.int(64)],
        [22, 100 + rng.int(2000)],
        [3 * big, room],
        [3 * big, room + 1],
        [1.5 * big, 2 * room + rng.int(room)],
        [0.05, 200_000 + rng.int(100_000)],
      ] as const);
  const b = Buffer.alloc(size, 0x61);
  if (size > 0) randomBuffer(rng, Math.min(size, 64)).copy(b);
  return b;
}

/** The content header frame and the body frames (split to fit frameMax) for a body. */
export function contentFrames(channel: number, frameMax: number, props: Buffer, content: Buffer, bodySize?: bigint): Buffer[] {
  const frames = [frame(FRAME_HEADER, channel, headerPayload(60, bodySize ?? BigInt(content.length), props))];
  const room = frameMax - FRAME_OVERHEAD;
  for (let at = 0; at < content.length; at += room) frames.push(frame(FRAME_BODY, channel, content.subarray(at, Math.min(content.length, at + room))));
  return frames;
}

/** Properties for a rich-mode publish to a topology: persistent where the topology says so. */
export function topologyProperties(rng: Rng, pools: Pools, t: Topology): Properties {
  const persistent = t.persistent || chance(rng, 0.3);
  const p = properties(rng, pools, propertiesMode(rng, true), persistent);
  return p;
}
