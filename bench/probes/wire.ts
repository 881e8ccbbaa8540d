/**
 * The few AMQP 0-9-1 wire pieces the probes need, written here rather than taken from src/protocol: the probes
 * must send bytes the broker's own encoder would refuse (invalid UTF-8, property flags without values, tables
 * nested past any limit), and must keep working while src/protocol changes under the fixes they measure.
 *
 * Encoding builds argument bytes field by field (Args); decoding reads only the methods the probes wait for and
 * keeps short strings as raw bytes, so a probe can compare what came back byte for byte.
 */

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
const FRAME_END = 0xce;

/** classId << 16 | methodId, for the methods the probes send or wait for. */
export const M = {
  ConnectionStart: (10 << 16) | 10,
  ConnectionStartOk: (10 << 16) | 11,
  ConnectionTune: (10 << 16) | 30,
  ConnectionTuneOk: (10 << 16) | 31,
  ConnectionOpen: (10 << 16) | 40,
  ConnectionOpenOk: (10 << 16) | 41,
  ConnectionClose: (10 << 16) | 50,
  ConnectionCloseOk: (10 << 16) | 51,
  ChannelOpen: (20 << 16) | 10,
  ChannelOpenOk: (20 << 16) | 11,
  ChannelClose: (20 << 16) | 40,
  ChannelCloseOk: (20 << 16) | 41,
  ExchangeDeclare: (40 << 16) | 10,
  ExchangeDeclareOk: (40 << 16) | 11,
  ExchangeDelete: (40 << 16) | 20,
  ExchangeDeleteOk: (40 << 16) | 21,
  QueueDeclare: (50 << 16) | 10,
  QueueDeclareOk: (50 << 16) | 11,
  QueueBind: (50 << 16) | 20,
  QueueBindOk: (50 << 16) | 21,
  QueuePurge: (50 << 16) | 30,
  QueuePurgeOk: (50 << 16) | 31,
  QueueDelete: (50 << 16) | 40,
  QueueDeleteOk: (50 << 16) | 41,
  BasicQos: (60 << 16) | 10,
  BasicQosOk: (60 << 16) | 11,
  BasicConsume: (60 << 16) | 20,
  BasicConsumeOk: (60 << 16) | 21,
  BasicCancel: (60 << 16) | 30,
  BasicCancelOk: (60 << 16) | 31,
  BasicPublish: (60 << 16) | 40,
  BasicReturn: (60 << 16) | 50,
  BasicDeliver: (60 << 16) | 60,
  BasicGet: (60 << 16) | 70,
  BasicGetOk: (60 << 16) | 71,
  BasicGetEmpty: (60 << 16) | 72,
  BasicAck: (60 << 16) | 80,
  BasicReject: (60 << 16) | 90,
  BasicRecover: (60 << 16) | 110,
  BasicRecoverOk: (60 << 16) | 111,
  BasicNack: (60 << 16) | 120,
  ConfirmSelect: (85 << 16) | 10,
  ConfirmSelectOk: (85 << 16) | 11,
} as const;

const NAMES = new Map<number, string>(Object.entries(M).map(([name, id]) => [id, name]));

export function methodName(id: number): string {
  return NAMES.get(id) ?? `${id >>> 16}.${id & 0xffff}`;
}

export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

// ---------------------------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------------------------

/** A value for encodeTable: JS values map to S, I/l, t, F, A; `{ raw }` is a type octet plus value bytes as given. */
export type TableValue = string | number | boolean | bigint | Buffer | TableValue[] | { raw: Buffer } | { [key: string]: TableValue };

/** Builds argument bytes in field order. Short strings take raw bytes (any length up to 255) or a UTF-8 string. */
export class Args {
  private readonly parts: Buffer[] = [];
  private bitParts: boolean[] = [];

  private flushBits(): void {
    if (this.bitParts.length === 0) return;
    let byte = 0;
    this.bitParts.forEach((b, i) => {
      if (b) byte |= 1 << i;
    });
    this.parts.push(Buffer.from([byte]));
    this.bitParts = [];
  }
  private push(b: Buffer): this {
    this.flushBits();
    this.parts.push(b);
    return this;
  }
  octet(n: number): this {
    return this.push(Buffer.from([n & 0xff]));
  }
  short(n: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    return this.push(b);
  }
  long(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return this.push(b);
  }
  longlong(n: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return this.push(b);
  }
  shortstr(s: string | Buffer): this {
    const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    if (bytes.length > 255) throw new Error(`shortstr of ${bytes.length} bytes`);
    return this.push(Buffer.concat([Buffer.from([bytes.length]), bytes]));
  }
  longstr(s: string | Buffer): this {
    const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return this.push(Buffer.concat([len, bytes]));
  }
  bit(b: boolean): this {
    this.bitParts.push(b);
    if (this.bitParts.length === 8) this.flushBits();
    return this;
  }
  table(t: Record<string, TableValue> | Buffer = {}): this {
    return this.push(Buffer.isBuffer(t) ? t : encodeTable(t));
  }
  raw(b: Buffer): this {
    return this.push(b);
  }
  build(): Buffer {
    this.flushBits();
    return Buffer.concat(this.parts);
  }
}

function encodeValue(v: TableValue): Buffer {
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x53;
    h.writeUInt32BE(s.length, 1);
    return Buffer.concat([h, s]);
  }
  if (typeof v === 'boolean') return Buffer.from([0x74, v ? 1 : 0]);
  if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) {
    const b = Buffer.alloc(5);
    b[0] = 0x49;
    b.writeInt32BE(v, 1);
    return b;
  }
  if (typeof v === 'number' || typeof v === 'bigint') {
    const b = Buffer.alloc(9);
    b[0] = 0x6c;
    b.writeBigInt64BE(BigInt(v), 1);
    return b;
  }
  if (Buffer.isBuffer(v)) {
    const h = Buffer.alloc(5);
    h[0] = 0x78;
    h.writeUInt32BE(v.length, 1);
    return Buffer.concat([h, v]);
  }
  if (Array.isArray(v)) {
    const body = Buffer.concat(v.map(encodeValue));
    const h = Buffer.alloc(5);
    h[0] = 0x41;
    h.writeUInt32BE(body.length, 1);
    return Buffer.concat([h, body]);
  }
  if ('raw' in v && Buffer.isBuffer(v.raw)) return v.raw;
  const t = encodeTable(v as Record<string, TableValue>);
  return Buffer.concat([Buffer.from([0x46]), t]);
}

/** A field table with its 4-byte length. */
export function encodeTable(t: Record<string, TableValue>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(t)) {
    const key = Buffer.from(k, 'utf8');
    parts.push(Buffer.from([key.length]), key, encodeValue(v));
  }
  const body = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** A table `{ [key]: { [key]: ... } }` nested `depth` tables deep (the outer one counts), as bytes with length. */
export function nestedTable(depth: number, key = 'a'): Buffer {
  let inner = encodeTable({});
  for (let i = 1; i < depth; i++) {
    const k = Buffer.from(key);
    const body = Buffer.concat([Buffer.from([k.length]), k, Buffer.from([0x46]), inner]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    inner = Buffer.concat([len, body]);
  }
  return inner;
}

export function frame(type: number, channel: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(payload.length + 8);
  b[0] = type;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b[b.length - 1] = FRAME_END;
  return b;
}

export function methodFrame(channel: number, id: number, args: Buffer | Args = Buffer.alloc(0)): Buffer {
  const a = Buffer.isBuffer(args) ? args : args.build();
  const payload = Buffer.alloc(4 + a.length);
  payload.writeUInt32BE(id >>> 0, 0);
  a.copy(payload, 4);
  return frame(FRAME_METHOD, channel, payload);
}

/** Property flag bits of the basic class, in wire order. */
export const PROP = {
  contentType: 1 << 15,
  contentEncoding: 1 << 14,
  headers: 1 << 13,
  deliveryMode: 1 << 12,
  priority: 1 << 11,
  correlationId: 1 << 10,
  replyTo: 1 << 9,
  expiration: 1 << 8,
  messageId: 1 << 7,
  timestamp: 1 << 6,
  type: 1 << 5,
  userId: 1 << 4,
  appId: 1 << 3,
} as const;

/** A content header frame for the basic class: `flags` and `props` (the property values' bytes) as given. */
export function headerFrame(channel: number, bodySize: number | bigint, flags = 0, props: Buffer = Buffer.alloc(0)): Buffer {
  const p = Buffer.alloc(14 + props.length);
  p.writeUInt16BE(60, 0);
  p.writeUInt16BE(0, 2);
  p.writeBigUInt64BE(BigInt(bodySize), 4);
  p.writeUInt16BE(flags, 12);
  props.copy(p, 14);
  return frame(FRAME_HEADER, channel, p);
}

/** Well-formed basic properties: delivery mode, expiration and headers when given. */
export function basicProps(o: { deliveryMode?: number; expiration?: string; headers?: Record<string, TableValue> }): { flags: number; bytes: Buffer } {
  let flags = 0;
  const a = new Args();
  if (o.headers !== undefined) {
    flags |= PROP.headers;
    a.table(o.headers);
  }
  if (o.deliveryMode !== undefined) {
    flags |= PROP.deliveryMode;
    a.octet(o.deliveryMode);
  }
  if (o.expiration !== undefined) {
    flags |= PROP.expiration;
    a.shortstr(o.expiration);
  }
  return { flags, bytes: a.build() };
}

/** basic.publish + content header + body frames (split at `frameMax`). */
export function publishFrames(
  channel: number,
  exchange: string | Buffer,
  routingKey: string | Buffer,
  body: Buffer,
  o: { mandatory?: boolean; flags?: number; props?: Buffer; frameMax?: number } = {},
): Buffer {
  const parts = [
    methodFrame(channel, M.BasicPublish, new Args().short(0).shortstr(exchange).shortstr(routingKey).bit(o.mandatory ?? false).bit(false)),
    headerFrame(channel, body.length, o.flags ?? 0, o.props ?? Buffer.alloc(0)),
  ];
  const max = (o.frameMax ?? 131072) - 8;
  for (let at = 0; at < body.length; at += max) parts.push(frame(FRAME_BODY, channel, body.subarray(at, Math.min(body.length, at + max))));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------------------------

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

/** Accumulates bytes and cuts frames; a frame larger than `maxFrame` is an error (the probe stops, not the heap). */
export class FrameCutter {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxFrame = 16 * 1024 * 1024) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    let at = 0;
    while (this.buf.length - at >= 7) {
      const size = this.buf.readUInt32BE(at + 3);
      if (size > this.maxFrame) throw new Error(`frame of ${size} bytes`);
      if (this.buf.length - at < size + 8) break;
      out.push({ type: this.buf[at]!, channel: this.buf.readUInt16BE(at + 1), payload: Buffer.from(this.buf.subarray(at + 7, at + 7 + size)) });
      at += size + 8;
    }
    this.buf = at === 0 ? this.buf : Buffer.from(this.buf.subarray(at));
    return out;
  }
}

export interface Method {
  channel: number;
  id: number;
  /** Decoded fields for the methods listed in FIELDS (short strings as raw bytes); empty otherwise. */
  f: Record<string, number | bigint | boolean | Buffer>;
}

type Field = [name: string, kind: 'octet' | 'short' | 'long' | 'longlong' | 'shortstr' | 'longstr' | 'bit' | 'table'];

const CLOSE: Field[] = [
  ['replyCode', 'short'],
  ['replyText', 'shortstr'],
  ['classId', 'short'],
  ['methodId', 'short'],
];
const FIELDS = new Map<number, Field[]>([
  [M.ConnectionTune, [['channelMax', 'short'], ['frameMax', 'long'], ['heartbeat', 'short']]],
  [M.ConnectionClose, CLOSE],
  [M.ChannelClose, CLOSE],
  [M.QueueDeclareOk, [['queue', 'shortstr'], ['messageCount', 'long'], ['consumerCount', 'long']]],
  [M.BasicConsumeOk, [['consumerTag', 'shortstr']]],
  [M.BasicCancel, [['consumerTag', 'shortstr']]],
  [M.BasicDeliver, [['consumerTag', 'shortstr'], ['deliveryTag', 'longlong'], ['redelivered', 'bit'], ['exchange', 'shortstr'], ['routingKey', 'shortstr']]],
  [M.BasicGetOk, [['deliveryTag', 'longlong'], ['redelivered', 'bit'], ['exchange', 'shortstr'], ['routingKey', 'shortstr'], ['messageCount', 'long']]],
  [M.BasicReturn, [['replyCode', 'short'], ['replyText', 'shortstr'], ['exchange', 'shortstr'], ['routingKey', 'shortstr']]],
  [M.BasicAck, [['deliveryTag', 'longlong'], ['multiple', 'bit']]],
  [M.BasicNack, [['deliveryTag', 'longlong'], ['multiple', 'bit']]],
]);

export function decodeMethod(f: Frame): Method {
  const p = f.payload;
  const id = p.readUInt32BE(0);
  const out: Method['f'] = {};
  const fields = FIELDS.get(id);
  let o = 4;
  let bitAt = 0;
  try {
    for (const [name, kind] of fields ?? []) {
      if (kind !== 'bit' && bitAt > 0) {
        o += 1;
        bitAt = 0;
      }
      switch (kind) {
        case 'octet':
          out[name] = p[o]!;
          o += 1;
          break;
        case 'short':
          out[name] = p.readUInt16BE(o);
          o += 2;
          break;
        case 'long':
          out[name] = p.readUInt32BE(o);
          o += 4;
          break;
        case 'longlong':
          out[name] = p.readBigUInt64BE(o);
          o += 8;
          break;
        case 'shortstr': {
          const n = p[o]!;
          out[name] = Buffer.from(p.subarray(o + 1, o + 1 + n));
          o += 1 + n;
          break;
        }
        case 'longstr':
        case 'table': {
          const n = p.readUInt32BE(o);
          out[name] = Buffer.from(p.subarray(o + 4, o + 4 + n));
          o += 4 + n;
          break;
        }
        case 'bit':
          out[name] = ((p[o]! >> bitAt) & 1) === 1;
          bitAt++;
          if (bitAt === 8) {
            o += 1;
            bitAt = 0;
          }
          break;
      }
    }
  } catch {
    // a short frame: keep what was read
  }
  return { channel: f.channel, id, f: out };
}

/** A reply code and text from connection.close / channel.close fields. */
export function closeText(m: Method): string {
  const text = m.f.replyText;
  return `${String(m.f.replyCode)} ${Buffer.isBuffer(text) ? text.toString('latin1') : ''}`;
}
