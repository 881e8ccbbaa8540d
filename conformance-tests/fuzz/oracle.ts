/**
 * The oracle: connections that log in cleanly, open a channel, send a few valid frames (some of them amqplib's own)
 * and wait for their answers, then send ONE bad frame whose right answer is known, and check that the broker
 * answered it with that close and code. The classes and codes are the ones RabbitMQ gives (rabbit_reader's
 * frame_error / unexpected_frame, rabbit_command_assembler, the generated rabbit_framing decoder and its
 * assert_utf8, rabbit_channel's "expected 'channel.open'") and that conformance-tests/malformed.test.ts checks
 * against both brokers. Where RabbitMQ's reader simply dies (an unknown method id; a table with an unknown type
 * octet, whose parse_table has no clause for it) a dropped socket is accepted besides Leveret's close. Inputs whose
 * answer differs between RabbitMQ versions or is not defined (trailing bytes after the arguments, huge announced
 * bodies, deep tables) are mutated elsewhere but never judged here.
 */
import { encodeMethodFrame, METHODS, ReplyCode } from '../../src/protocol/generated/amqp';
import type { Rng } from '../../src/protocol/test-support/random';
import type { Frame } from './mutate';
import type { Step } from './script';
import type { AttackStats } from './stats';
import { CHANNEL_TRAFFIC, onChannel } from './traffic';
import { specMethod, weighted } from './vocabulary';
import { argumentSpans, frame, FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD, headerPayload, payloadOf, shortstr, splice, tableEntries, u16, u32 } from './wire';

export interface OracleProbe {
  /** The class of bad input ('frame-end', 'unopened-channel', ...). */
  cls: string;
  /** The close that must answer it, and the codes it may carry. */
  on: 'connection' | 'channel';
  codes: readonly number[];
  /** RabbitMQ drops the socket without a close for this input: a drop is accepted too. */
  dropOk: boolean;
}

export interface OracleClassStats {
  /** The right answer (expectedText). */
  expected: string;
  probes: number;
  ok: number;
  /** Not judged: the run was stopping, or the broker shut down (320) or went down meanwhile. */
  excused: number;
  /** What came instead of the right answer -> count. */
  mismatches: Map<string, number>;
  samples: Array<{ connection: number; got: string; probe: string }>;
}

export type OracleStats = Map<string, OracleClassStats>;

/** How long the broker has to answer the bad frame. */
export const ORACLE_WAIT_MS = 3000;

const conn = (codes: number[], dropOk = false): Pick<OracleProbe, 'on' | 'codes' | 'dropOk'> => ({ on: 'connection', codes, dropOk });

function method(ch: number, name: string, args: Record<string, unknown>): Frame {
  const m = specMethod(name);
  return { bytes: encodeMethodFrame(ch, m.id, args as never), label: `ch${ch} ${name}`, mutated: false, kind: 'method', channel: ch, method: m };
}

function recorded(name: string): Frame[] {
  return CHANNEL_TRAFFIC.flatMap((s) => s.frames).filter((f) => f.method?.name === name);
}

/** amqplib's frames of these methods (their arguments carry tables and real names), moved to channel `ch`. */
function real(rng: Rng, ch: number, names: readonly string[]): Frame {
  const all = names.flatMap(recorded);
  return onChannel(rng.pick(all), ch);
}

const SAFE_METHODS = ['basic.qos', 'queue.declare', 'exchange.declare', 'queue.bind', 'basic.consume', 'basic.get', 'queue.purge', 'exchange.bind'] as const;
const WITH_TABLES = ['queue.declare', 'exchange.declare', 'queue.bind', 'basic.consume', 'queue.unbind', 'exchange.bind'] as const;
const WITH_SHORTSTR = ['queue.declare', 'exchange.declare', 'queue.bind', 'basic.consume', 'queue.purge', 'queue.delete', 'exchange.delete', 'basic.get'] as const;
/** Type octets no table decoder knows (RabbitMQ's parse_table has no clause; Leveret refuses 'U' and the rest). */
const UNKNOWN_TYPES = [0x00, 0x01, 0x3f, 0x55, 0x5a, 0x7a, 0xff];
/** Short strings that are not UTF-8: a lone continuation byte, an overlong NUL, a UTF-16 surrogate, 0xff. */
const NOT_UTF8 = ['80', 'c080', 'eda080', 'ff', '61ff62', 'f8888080'].map((h) => Buffer.from(h, 'hex'));

function marked(f: Frame, bytes: Buffer, what: string, channel = f.channel): Frame {
  return { ...f, bytes, channel, label: `${f.label} ~${what}`, mutated: true };
}

/** The first unknown (class, method) pair of a few kinds: unknown class, unknown method of a known class. */
function unknownMethodId(rng: Rng): [number, number] {
  const known = new Set(METHODS.map((m) => m.id));
  for (;;) {
    const pair = rng.pick<[number, number]>([
      [99, 99],
      [60, 999],
      [0, 0],
      [65535, 65535],
      [50, 1 + rng.int(200)],
      [rng.int(65536), rng.int(65536)],
    ]);
    if (!known.has(pair[0] * 65536 + pair[1])) return pair;
  }
}

/**
 * The oracle connection's steps after its channels are open: a few valid frames (each waiting for its answer), then
 * the probe. `ch` is an open channel; `channels` are all those the script opens.
 */
export function oracleSteps(rng: Rng, frameMax: number, ch: number, channels: readonly number[]): { steps: Step[]; probe: OracleProbe } {
  const steps: Step[] = [];
  // Valid traffic first (answered before the probe goes out): amqplib's qos and its publish to the default exchange
  // (unroutable, dropped), and an exclusive server-named queue.
  for (let i = rng.int(3); i > 0; i--) {
    switch (rng.int(3)) {
      case 0:
        steps.push({ frames: [real(rng, ch, ['basic.qos'])], pause: 'reply' });
        break;
      case 1: {
        const admin = CHANNEL_TRAFFIC.find((s) => s.name === 'admin')?.frames ?? [];
        const at = admin.findIndex((f) => f.method?.name === 'basic.publish');
        if (at >= 0) steps.push({ frames: admin.slice(at, at + 3).map((f) => onChannel(f, ch)), pause: 'short' });
        break;
      }
      default:
        steps.push({ frames: [method(ch, 'queue.declare', { queue: '', exclusive: true, arguments: { 'x-message-ttl': 1000 } })], pause: 'reply' });
    }
  }
  const { frames, probe } = probeFrames(rng, frameMax, ch, channels);
  steps.push({ frames, pause: 'reply' });
  return { steps, probe };
}

function probeFrames(rng: Rng, frameMax: number, ch: number, channels: readonly number[]): { frames: Frame[]; probe: OracleProbe } {
  const cls = weighted(rng, [
    [6, 'frame-end'],
    [5, 'frame-type'],
    [5, 'frame-too-large'],
    [3, 'method-too-short'],
    [4, 'heartbeat-on-channel'],
    [4, 'heartbeat-payload'],
    [4, 'body-without-method'],
    [4, 'header-without-method'],
    [3, 'content-on-channel-0'],
    [4, 'method-instead-of-header'],
    [3, 'header-wrong-class'],
    [6, 'unopened-channel'],
    [3, 'channel-method-on-channel-0'],
    [3, 'second-channel-open'],
    [3, 'unsolicited-close-ok'],
    [5, 'unknown-method'],
    [6, 'truncated-arguments'],
    [5, 'table-unknown-type'],
    [4, 'table-length-overrun'],
    [5, 'shortstr-not-utf8'],
    [4, 'shortstr-length-overrun'],
  ] as const);
  const publish = (): Frame => method(ch, 'basic.publish', { exchange: '', routingKey: 'fz.oracle.none' });
  const header = (c: number, classId = 60): Frame => ({ bytes: frame(FRAME_HEADER, c, headerPayload(classId, 3n, Buffer.from([0, 0]))), label: `ch${c} header(class ${classId})`, mutated: false, kind: 'header', channel: c });
  const body = (c: number): Frame => ({ bytes: frame(FRAME_BODY, c, Buffer.from('abc')), label: `ch${c} body(3B)`, mutated: false, kind: 'body', channel: c });
  const bad = (f: Frame, what = cls): Frame => ({ ...f, label: `${f.label} ~${what}`, mutated: true });
  const probe = (frames: Frame[], p: Pick<OracleProbe, 'on' | 'codes' | 'dropOk'>): { frames: Frame[]; probe: OracleProbe } => ({ frames, probe: { cls, ...p } });
  switch (cls) {
    case 'frame-end': {
      const f = real(rng, ch, SAFE_METHODS);
      const b = Buffer.from(f.bytes);
      b[b.length - 1] = rng.pick([0x00, 0xcd, 0xcf, 0xff, 0x0a]);
      return probe([marked(f, b, `frame-end=0x${b[b.length - 1]!.toString(16)}`)], conn([ReplyCode.FrameError]));
    }
    case 'frame-type': {
      const f = real(rng, ch, SAFE_METHODS);
      const b = Buffer.from(f.bytes);
      b[0] = rng.pick([0, 4, 5, 6, 7, 9, 65, 206, 255]);
      return probe([marked(f, b, `frame-type=${b[0]}`)], conn([ReplyCode.FrameError]));
    }
    case 'frame-too-large': {
      // Beyond RabbitMQ's allowance too (it lets a payload of frame_max through): refused as soon as the header is in.
      const size = rng.pick([frameMax + 1, frameMax + 9, 2 * frameMax, 0x7fffffff, 0xffffffff]);
      const head = Buffer.concat([Buffer.from([rng.pick([FRAME_METHOD, FRAME_BODY])]), u16(ch), u32(size), Buffer.alloc(rng.int(64), 0x61)]);
      return probe([{ bytes: head, label: `ch${ch} frame header ~frame-too-large(${size})`, mutated: true, kind: 'raw', channel: ch }], conn([ReplyCode.FrameError]));
    }
    case 'method-too-short': {
      const n = rng.int(4);
      return probe([{ bytes: frame(FRAME_METHOD, ch, Buffer.from([0, 60, 0, 10]).subarray(0, n)), label: `ch${ch} method(${n}B) ~method-too-short`, mutated: true, kind: 'raw', channel: ch }], conn([ReplyCode.FrameError]));
    }
    case 'heartbeat-on-channel':
      return probe([{ bytes: frame(FRAME_HEARTBEAT, ch, Buffer.alloc(0)), label: `ch${ch} heartbeat ~heartbeat-on-channel`, mutated: true, kind: 'raw', channel: ch }], conn([ReplyCode.UnexpectedFrame]));
    case 'heartbeat-payload': {
      const n = 1 + rng.int(8);
      return probe([{ bytes: frame(FRAME_HEARTBEAT, 0, Buffer.alloc(n, 0x68)), label: `heartbeat(${n}B) ~heartbeat-payload`, mutated: true, kind: 'raw', channel: 0 }], conn([ReplyCode.FrameError]));
    }
    case 'body-without-method':
      return probe([bad(body(ch))], conn([ReplyCode.UnexpectedFrame]));
    case 'header-without-method':
      return probe([bad(header(ch))], conn([ReplyCode.UnexpectedFrame]));
    case 'content-on-channel-0':
      return probe([bad(rng.bool() ? header(0) : body(0))], conn([ReplyCode.UnexpectedFrame]));
    case 'method-instead-of-header':
      return probe([publish(), bad(real(rng, ch, ['basic.qos', 'basic.get', 'queue.declare']))], conn([ReplyCode.UnexpectedFrame]));
    case 'header-wrong-class':
      return probe([publish(), bad(header(ch, rng.pick([10, 20, 40, 50, 85, 90])))], conn([ReplyCode.UnexpectedFrame]));
    case 'unopened-channel': {
      let c = 1 + rng.int(2047);
      while (channels.includes(c)) c = 1 + rng.int(2047);
      return probe([bad(real(rng, c, SAFE_METHODS))], conn([ReplyCode.ChannelError]));
    }
    case 'channel-method-on-channel-0':
      return probe([bad(real(rng, 0, SAFE_METHODS))], conn([ReplyCode.ChannelError]));
    case 'second-channel-open':
      return probe([bad(method(ch, 'channel.open', { outOfBand: '' }))], conn([ReplyCode.ChannelError]));
    case 'unsolicited-close-ok':
      return probe([bad(method(ch, 'channel.close-ok', {}))], conn([ReplyCode.CommandInvalid]));
    case 'unknown-method': {
      const [c, m] = unknownMethodId(rng);
      const f = real(rng, ch, SAFE_METHODS);
      const p = payloadOf(f.bytes);
      // RabbitMQ's lookup_method_name exits: its reader dies and the socket drops. Leveret answers 540.
      return probe([marked(f, frame(FRAME_METHOD, ch, Buffer.concat([u16(c), u16(m), p.subarray(4)])), `method-id=${c}.${m}`)], conn([ReplyCode.NotImplemented, ReplyCode.CommandInvalid], true));
    }
    case 'truncated-arguments': {
      const f = real(rng, ch, [...SAFE_METHODS, 'basic.publish', 'basic.ack', 'basic.nack', 'basic.reject', 'basic.cancel', 'queue.unbind']);
      const p = payloadOf(f.bytes);
      const keep = 4 + rng.int(p.length - 4);
      return probe([marked(f, frame(FRAME_METHOD, ch, p.subarray(0, keep)), `truncate(${p.length}->${keep})`)], conn([ReplyCode.FrameError]));
    }
    case 'table-unknown-type':
    case 'table-length-overrun': {
      const withEntries = WITH_TABLES.flatMap(recorded).filter((f) => argumentSpans(f.method!.fields, payloadOf(f.bytes)).some((s) => s.field.type === 'table' && tableEntries(payloadOf(f.bytes), s.start).length > 0));
      const f = onChannel(rng.pick(withEntries), ch);
      const p = Buffer.from(payloadOf(f.bytes));
      const span = argumentSpans(f.method!.fields, p).find((s) => s.field.type === 'table' && tableEntries(p, s.start).length > 0)!;
      if (cls === 'table-length-overrun') {
        p.writeUInt32BE(p.readUInt32BE(span.start) + 1 + rng.int(1000), span.start);
        return probe([marked(f, frame(FRAME_METHOD, ch, p), `table-len(${span.field.name})`)], conn([ReplyCode.FrameError]));
      }
      const entry = rng.pick(tableEntries(p, span.start));
      p[entry.typeAt] = rng.pick(UNKNOWN_TYPES);
      // RabbitMQ's parse_table has no clause for it: its reader crashes and drops the socket. Leveret answers 501.
      return probe([marked(f, frame(FRAME_METHOD, ch, p), `table-type(${span.field.name}=0x${p[entry.typeAt]!.toString(16)})`)], conn([ReplyCode.FrameError], true));
    }
    case 'shortstr-not-utf8':
    case 'shortstr-length-overrun': {
      // Not on basic.publish: RabbitMQ skips the UTF-8 check on content-bearing methods.
      const f = real(rng, ch, WITH_SHORTSTR);
      const p = payloadOf(f.bytes);
      const spans = argumentSpans(f.method!.fields, p).filter((s) => s.field.type === 'shortstr');
      const s = rng.pick(spans);
      if (cls === 'shortstr-not-utf8') {
        const bytes = rng.pick(NOT_UTF8);
        return probe([marked(f, frame(FRAME_METHOD, ch, splice(p, s.start, s.end, shortstr(bytes))), `shortstr-bytes(${s.field.name}=${bytes.toString('hex')})`)], conn([ReplyCode.FrameError]));
      }
      // A length that runs past the end of the frame.
      const cut = Buffer.from(p.subarray(0, s.end));
      cut[s.start] = Math.min(255, cut[s.start]! + (p.length - s.end) + 1 + rng.int(20));
      return probe([marked(f, frame(FRAME_METHOD, ch, cut), `shortstr-len(${s.field.name})`)], conn([ReplyCode.FrameError]));
    }
  }
}

/** One oracle connection's view: what came back after its probe went out. */
export class OracleWatch {
  private sent = false;
  private before: string | undefined;
  private answer: { what: string; code: number } | undefined;

  constructor(
    readonly probe: OracleProbe,
    private readonly stats: AttackStats,
    private readonly connection: number,
  ) {}

  probeSent(): void {
    this.sent = true;
  }

  get answered(): boolean {
    return this.answer !== undefined;
  }

  onClose(what: string, code: number): void {
    if (!this.sent) this.before ??= `${what} ${code} before the probe`;
    else this.answer ??= { what, code };
  }

  /** Counts the outcome. `dropped`: the socket closed without a close method; `excused`: nothing to judge. */
  finish(dropped: boolean, excused: boolean, probeLabel: string): void {
    let s = this.stats.oracle.get(this.probe.cls);
    if (s === undefined) {
      s = { expected: expectedText(this.probe), probes: 0, ok: 0, excused: 0, mismatches: new Map(), samples: [] };
      this.stats.oracle.set(this.probe.cls, s);
    }
    s.probes++;
    const a = this.answer;
    if (this.before === undefined && a?.code === ReplyCode.ConnectionForced) excused = true;
    let got: string | undefined;
    if (this.before !== undefined) got = this.before;
    else if (a !== undefined) {
      const right = a.what === `${this.probe.on}.close` && this.probe.codes.includes(a.code);
      if (!right) got = `${a.what} ${a.code}`;
    } else if (dropped) {
      if (!this.probe.dropOk) got = 'socket closed without a close';
    } else if (!excused) got = `no answer within ${ORACLE_WAIT_MS / 1000} s`;
    if (excused && got !== undefined && this.before === undefined) {
      s.excused++;
      return;
    }
    if (got === undefined) {
      if (a === undefined && !dropped) s.excused++;
      else s.ok++;
      return;
    }
    s.mismatches.set(got, (s.mismatches.get(got) ?? 0) + 1);
    if (s.samples.length < 5) s.samples.push({ connection: this.connection, got, probe: probeLabel });
  }
}

/** The expected answer as text: 'connection.close 501' or 'connection.close 540|503 or a dropped socket'. */
export function expectedText(p: OracleProbe): string {
  return `${p.on}.close ${p.codes.join('|')}${p.dropOk ? ' or a dropped socket' : ''}`;
}
