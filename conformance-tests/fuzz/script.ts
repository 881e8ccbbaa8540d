/**
 * One attacker connection's script, a pure function of (seed, connection index, pools, mode): the handshake
 * frames, then steps of frames (valid frames of every class and method of the spec, with a share of them mutated),
 * then how the connection ends. The attacker (attacker.ts) plays it and reacts to the broker (close-ok, reopening
 * a closed channel, acks for deliveries), but the script itself never depends on what the broker said, so a seed
 * and an index always give the same bytes.
 *
 * Kinds:
 *  - protocol: any method on open, unopened and closed channels; publishes with ordinary, extreme and malformed
 *    content headers; content out of order; heartbeats on the wrong channel; frames split across writes.
 *  - handshake: a valid login with one handshake frame mutated or extreme (client properties, AMQPLAIN tables,
 *    tune-ok values, the protocol header itself).
 *  - producer (rich): declares a topology (TTL + dead-lettering, delivery limits, quorum, length limits with
 *    overflow modes, priorities, delayed delivery, de-duplication) and publishes poisoned, often persistent messages.
 *  - consumer (rich): consumes from a topology's queues with manual acks, nacks and rejects with and without requeue,
 *    and often vanishes abruptly (socket destroyed, or reset) holding unacked deliveries.
 *  - oracle: a clean login and a few valid frames answered one by one, then one bad frame whose right answer is
 *    known (oracle.ts); the attacker checks the close and code that come back.
 *
 * Protocol scripts also replay amqplib's recorded frames (traffic.ts) on their own channels, mutated like the
 * spec-built ones, and send plain random bytes and random frames.
 */
import type { FieldTable } from '../../src/protocol/field-table';
import { encodeMethodFrame, MethodId } from '../../src/protocol/generated/amqp';
import { Rng, specMethods, type SpecMethod } from '../../src/protocol/test-support/random';
import { body, contentFrames, properties, propertiesMode, topologyProperties } from './content';
import { mutate, randomBytesFrame, type Frame, type MutationContext } from './mutate';
import { hello } from './hello';
import { oracleSteps, type OracleProbe } from './oracle';
import { CHANNEL_TRAFFIC, onChannel } from './traffic';
import { argumentTable, chance, methodArgs, mix, specMethod, weighted, type Pools, type Topology } from './vocabulary';
import { frame, FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, headerPayload } from './wire';

export type ScriptKind = 'protocol' | 'handshake' | 'producer' | 'consumer' | 'oracle';
/** After a step: go on at once, wait ~2 ms or for the broker's next bytes, or wait up to 150 ms for a reply. */
export type Pause = 'none' | 'short' | 'reply';
export type Ending = 'close' | 'destroy' | 'reset' | 'partial' | 'linger';

export interface Step {
  frames: Frame[];
  pause: Pause;
  /** Write the frames a few bytes at a time. */
  split?: boolean;
}

export interface Hello {
  header: Frame;
  startOk: Frame;
  tuneOk: Frame;
  open: Frame;
  /** Every handshake frame is valid (a plain login). */
  valid: boolean;
  /** Send open before waiting for tune (pipelined handshake). */
  pipelined: boolean;
}

export interface ConsumerPolicy {
  /** Seed for the per-delivery choices. */
  seed: number;
  /** Vanish (destroy or reset the socket) after this many deliveries; undefined to stay until maxMs. */
  vanishAfter: number | undefined;
  vanishBy: 'destroy' | 'reset';
  maxMs: number;
  /** How the consumer ends when it did not vanish. */
  afterwards: 'close' | 'recover' | 'cancel' | 'channel-close' | 'reset';
  channel: number;
}

export interface Script {
  seed: number;
  index: number;
  kind: ScriptKind;
  hello: Hello;
  frameMax: number;
  channels: number[];
  steps: Step[];
  consumer?: ConsumerPolicy;
  /** Oracle scripts: the last step is one bad frame whose right answer is known. */
  oracle?: OracleProbe;
  ending: Ending;
  /** The connection is destroyed if still running after this long. */
  deadlineMs: number;
}

export interface Credentials {
  user: string;
  password: string;
  vhost: string;
}

const CLIENT_METHODS: ReadonlyArray<readonly [number, string]> = [
  [12, 'queue.declare'],
  [8, 'queue.bind'],
  [3, 'queue.unbind'],
  [4, 'queue.purge'],
  [3, 'queue.delete'],
  [10, 'exchange.declare'],
  [3, 'exchange.delete'],
  [4, 'exchange.bind'],
  [2, 'exchange.unbind'],
  [10, 'basic.consume'],
  [4, 'basic.cancel'],
  [8, 'basic.get'],
  [7, 'basic.ack'],
  [6, 'basic.nack'],
  [6, 'basic.reject'],
  [4, 'basic.qos'],
  [3, 'basic.recover'],
  [2, 'basic.recover-async'],
  [5, 'confirm.select'],
  [3, 'tx.select'],
  [3, 'tx.commit'],
  [3, 'tx.rollback'],
  [3, 'channel.flow'],
  [1, 'channel.flow-ok'],
  [2, 'channel.close'],
  [2, 'channel.open'],
  [1, 'channel.close-ok'],
  [2, 'connection.update-secret'],
  [6, '*any*'],
];

const NOT_SCRIPTED = new Set(['connection.close']);
const ANY_METHODS: readonly SpecMethod[] = specMethods.filter((m) => !NOT_SCRIPTED.has(m.name));

class Builder {
  readonly steps: Step[] = [];
  readonly ctx: MutationContext;

  constructor(
    readonly rng: Rng,
    readonly pools: Pools,
    readonly frameMax: number,
    readonly channels: number[],
    /** Probability that a frame is mutated. */
    readonly mutationRate: number,
    readonly rich: boolean,
  ) {
    this.ctx = { frameMax, channels };
  }

  channel(): number {
    return this.rng.pick(this.channels);
  }

  /** A valid method frame; falls back to default arguments when a drawn value cannot be encoded. */
  method(ch: number, m: SpecMethod, args?: Record<string, unknown>): Frame {
    const a = args ?? methodArgs(this.rng, this.pools, m, 0.12);
    let bytes: Buffer;
    try {
      bytes = encodeMethodFrame(ch, m.id, a as never);
    } catch {
      bytes = encodeMethodFrame(ch, m.id, {} as never);
    }
    return { bytes, label: `ch${ch} ${m.name}`, mutated: false, kind: 'method', channel: ch, method: m };
  }

  named(ch: number, name: string, args?: Record<string, unknown>): Frame {
    return this.method(ch, specMethod(name), args);
  }

  maybe(f: Frame, rate = this.mutationRate): Frame {
    return chance(this.rng, rate) ? mutate(this.rng, f, this.ctx) : f;
  }

  push(frames: Frame[], pause: Pause = this.pause(), split = false): void {
    this.steps.push(split ? { frames, pause, split } : { frames, pause });
  }

  pause(): Pause {
    return weighted(this.rng, [
      [50, 'none'],
      [45, 'short'],
      [5, 'reply'],
    ] as const);
  }

  /** basic.publish, its content header and body frames. */
  publish(ch: number, exchange: string, routingKey: string, props: { bytes: Buffer; label: string; mutated: boolean }, content: Buffer, rate = this.mutationRate): Frame[] {
    const m = this.named(ch, 'basic.publish', { ticket: 0, exchange, routingKey, mandatory: chance(this.rng, 0.3), immediate: chance(this.rng, 0.03) });
    const [header, ...bodies] = contentFrames(ch, this.frameMax, props.bytes, content);
    const headerFrame: Frame = { bytes: header!, label: `ch${ch} header(${content.length}B${props.label !== '' ? ` ${props.label}` : ''})`, mutated: props.mutated, kind: 'header', channel: ch };
    return [
      this.maybe(m, rate / 2),
      this.maybe(headerFrame, rate / 2),
      ...bodies.map((b, i) => this.maybe({ bytes: b, label: `ch${ch} body#${i}(${b.length - 8}B)`, mutated: false, kind: 'body', channel: ch } as Frame, rate / 4)),
    ];
  }

  randomPublish(rate = this.mutationRate, small = false): Frame[] {
    const ch = this.channel();
    const exchange = chance(this.rng, 0.35) ? '' : this.rng.pick(this.pools.exchanges);
    const rk = exchange === '' ? this.rng.pick(this.pools.queues) : this.rng.pick(this.pools.routingKeys);
    const props = properties(this.rng, this.pools, small ? 'plain' : propertiesMode(this.rng, this.rich), this.rng.bool());
    return this.publish(ch, exchange, rk, props, body(this.rng, this.frameMax, small), rate);
  }

  randomMethod(): Frame {
    const choice = weighted(this.rng, CLIENT_METHODS);
    const m = choice === '*any*' ? this.rng.pick(ANY_METHODS) : specMethod(choice);
    const ch = m.classId === 10 ? 0 : this.channel();
    return this.maybe(this.method(ch, m));
  }

  /** Content out of order or out of place: each sequence has exactly one wrong frame (counted as mutated). */
  contentAnomaly(): void {
    const ch = this.channel();
    const rng = this.rng;
    const pub = (): Frame => this.named(ch, 'basic.publish', { exchange: '', routingKey: rng.pick(this.pools.queues) });
    const header = (size: bigint, c = ch): Frame => ({ bytes: frame(FRAME_HEADER, c, headerPayload(60, size, Buffer.from([0x10, 0x00, 2]))), label: `ch${c} header(${size})`, mutated: false, kind: 'header', channel: c });
    const bodyFrame = (n: number, c = ch): Frame => ({ bytes: frame(FRAME_BODY, c, Buffer.alloc(n, 0x63)), label: `ch${c} body(${n}B)`, mutated: false, kind: 'body', channel: c });
    const bad = (f: Frame, what: string): Frame => ({ ...f, label: `${f.label} ~${what}`, mutated: true });
    switch (rng.int(11)) {
      case 0:
        this.push([bad(bodyFrame(5), 'body-without-header')]);
        break;
      case 1:
        this.push([bad(header(5n), 'header-without-method'), bodyFrame(5)]);
        break;
      case 2:
        this.push([pub(), header(10n), bad(this.named(ch, 'basic.qos', { prefetchCount: 1 }), 'method-inside-content'), bodyFrame(10)]);
        break;
      case 3:
        this.push([pub(), header(5n), bad(bodyFrame(10), 'body-overrun')]);
        break;
      case 4:
        this.push([pub(), header(5n), bodyFrame(5), bad(bodyFrame(3), 'extra-body')]);
        break;
      case 5:
        this.push([pub(), header(5n), bad(bodyFrame(0), 'empty-body-frame'), bodyFrame(5)]);
        break;
      case 6:
        this.push([bad(this.named(0, 'basic.publish', { exchange: '', routingKey: 'q' }), 'publish-on-channel-0'), header(1n, 0), bodyFrame(1, 0)]);
        break;
      case 7: {
        const other = this.channels.find((c) => c !== ch) ?? ch + 1;
        this.push([pub(), bad(header(3n, other), 'header-on-other-channel'), bodyFrame(3, ch)]);
        break;
      }
      case 8:
        this.push([pub(), bad(pub(), 'publish-without-content')]);
        break;
      case 9: {
        // Announce an enormous body, send a little of it, then carry on with other frames (or leave).
        const size = rng.pick([2n ** 62n, 2n ** 40n, 0xffffffffffffffffn, 2n ** 53n + 1n]);
        this.push([pub(), bad(header(size), `huge-announced-body(0x${size.toString(16)})`), bodyFrame(Math.min(1000, this.frameMax - 8)), bodyFrame(1)]);
        break;
      }
      default:
        // Legal: a heartbeat in the middle of content, and content interleaved across two channels.
        {
          const other = this.channels.find((c) => c !== ch);
          const hb: Frame = { bytes: frame(FRAME_HEARTBEAT, 0, Buffer.alloc(0)), label: 'heartbeat', mutated: false, kind: 'heartbeat', channel: 0 };
          if (other === undefined) this.push([pub(), header(2n), hb, bodyFrame(2)]);
          else {
            const pub2 = this.named(other, 'basic.publish', { exchange: '', routingKey: rng.pick(this.pools.queues) });
            this.push([pub(), pub2, header(2n), header(1n, other), bodyFrame(1, other), hb, bodyFrame(2)]);
          }
        }
    }
  }

  heartbeat(): void {
    const hb: Frame = { bytes: frame(FRAME_HEARTBEAT, 0, Buffer.alloc(0)), label: 'heartbeat', mutated: false, kind: 'heartbeat', channel: 0 };
    this.push([this.maybe(hb, 0.5)]);
  }

  /** Declares a rich-mode topology: the dead-letter exchange and queue, the exchange and the queue. */
  topology(ch: number, t: Topology, rate: number): void {
    const d = t.durable;
    const decl = (f: Frame): void => this.push([this.maybe(f, rate)], 'reply');
    decl(this.named(ch, 'exchange.declare', { exchange: t.dlx, type: 'fanout', durable: d, arguments: {} }));
    decl(this.named(ch, 'exchange.declare', { exchange: t.exchange, type: t.exchangeType, durable: d, arguments: t.exchangeArgs }));
    decl(this.named(ch, 'queue.declare', { queue: t.dead, durable: d, arguments: t.deadArgs }));
    decl(this.named(ch, 'queue.bind', { queue: t.dead, exchange: t.dlx, routingKey: '', arguments: {} }));
    decl(this.named(ch, 'queue.declare', { queue: t.queue, durable: d, arguments: t.queueArgs }));
    decl(this.named(ch, 'queue.bind', { queue: t.queue, exchange: t.exchange, routingKey: 'k', arguments: {} }));
  }
}

const PROTOCOL_ENDINGS = [
  [40, 'close'],
  [20, 'destroy'],
  [15, 'reset'],
  [10, 'partial'],
  [15, 'linger'],
] as const;

/** The script of connection `index` of a run with this seed. */
export function buildScript(seed: number, index: number, pools: Pools, rich: boolean, creds: Credentials): Script {
  const rng = new Rng(mix(seed, index));
  const kind = weighted<ScriptKind>(rng, rich
    ? [[40, 'protocol'], [5, 'handshake'], [25, 'producer'], [20, 'consumer'], [10, 'oracle']]
    : [[80, 'protocol'], [8, 'handshake'], [12, 'oracle']]);
  const frameMax = weighted(rng, [[60, 131072], [25, 4096], [10, 8192], [5, 65536]] as const);
  const heartbeat = kind === 'protocol' && chance(rng, 0.1) ? rng.pick([1, 2, 60]) : 0;
  const h = hello(rng, creds, frameMax, heartbeat, kind === 'handshake');
  const nChannels = 1 + (chance(rng, 0.4) ? rng.int(3) : 0);
  const channels: number[] = [];
  while (channels.length < nChannels) {
    const c = rng.pick([1, 1, 2, 3, 7, 100, 2047]);
    if (!channels.includes(c)) channels.push(c);
  }
  const mutationRate = kind === 'oracle' ? 0 : kind === 'producer' || kind === 'consumer' ? 0.05 : rng.pick([0.05, 0.15, 0.3, 0.5, 0.8]);
  const b = new Builder(rng, pools, frameMax, channels, mutationRate, rich);
  for (const c of channels) b.push([b.maybe(b.named(c, 'channel.open', { outOfBand: '' }), mutationRate / 3)], 'short');

  const script: Script = { seed, index, kind, hello: h, frameMax, channels, steps: b.steps, ending: 'close', deadlineMs: 10_000 };
  switch (kind) {
    case 'protocol':
    case 'handshake':
      protocolSteps(b, kind === 'handshake' ? 2 + rng.int(6) : 4 + rng.int(60));
      script.ending = weighted(rng, PROTOCOL_ENDINGS);
      break;
    case 'producer':
      producerSteps(b, rng.pick(pools.topologies));
      script.ending = weighted(rng, [[60, 'close'], [20, 'destroy'], [20, 'reset']] as const);
      break;
    case 'consumer':
      script.consumer = consumerSteps(b, rng.pick(pools.topologies), seed, index);
      script.deadlineMs = script.consumer.maxMs + 8_000;
      break;
    case 'oracle': {
      const o = oracleSteps(rng, frameMax, channels[0]!, channels);
      b.steps.push(...o.steps);
      script.oracle = o.probe;
      break;
    }
  }
  return script;
}

function protocolSteps(b: Builder, n: number): void {
  const rng = b.rng;
  for (let i = 0; i < n; i++) {
    switch (weighted(rng, [
      [40, 'method'],
      [25, 'publish'],
      [6, 'anomaly'],
      [4, 'heartbeat'],
      [4, 'burst'],
      [3, 'churn'],
      [3, 'split'],
      [3, 'poison-declare'],
      [8, 'traffic'],
      [2, 'random-bytes'],
    ] as const)) {
      case 'method':
        b.push([b.randomMethod()]);
        break;
      case 'publish':
        b.push(b.randomPublish());
        break;
      case 'anomaly':
        b.contentAnomaly();
        break;
      case 'heartbeat':
        b.heartbeat();
        break;
      case 'traffic': {
        // One recorded step of amqplib's session, moved to this script's channels, each frame maybe mutated.
        const seq = rng.pick(CHANNEL_TRAFFIC);
        const to = new Map<number, number>();
        const frames = seq.frames.filter((f) => f.bytes.length <= b.frameMax).map((f) => {
          if (!to.has(f.channel)) to.set(f.channel, b.channel());
          return b.maybe(onChannel(f, to.get(f.channel)!));
        });
        b.push(frames);
        break;
      }
      case 'random-bytes':
        b.push([randomBytesFrame(rng, b.channel())]);
        break;
      case 'burst': {
        const frames: Frame[] = [];
        const count = 2 + rng.int(20);
        for (let k = 0; k < count; k++) frames.push(...b.randomPublish(b.mutationRate / 4, true));
        b.push(frames, 'short');
        break;
      }
      case 'churn': {
        const c = b.channel();
        b.push([b.maybe(b.named(c, 'channel.close', { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 }))], rng.pick(['none', 'reply'] as const));
        b.push([b.maybe(b.named(c, 'channel.open', { outOfBand: '' }))], 'short');
        break;
      }
      case 'split':
        b.push([b.maybe(b.randomMethod())], 'short', true);
        break;
      case 'poison-declare': {
        // A declare whose argument table is valid to decode but hostile (deep, extreme, duplicate keys).
        const c = b.channel();
        const name = rng.pick(['queue.declare', 'exchange.declare', 'queue.bind', 'basic.consume', 'exchange.bind']);
        const f = b.named(c, name);
        b.push([mutateTable(b, f)]);
        break;
      }
    }
  }
}

function mutateTable(b: Builder, f: Frame): Frame {
  for (let i = 0; i < 4; i++) {
    const m = mutate(b.rng, f, b.ctx);
    if (m.label.includes('table-poison')) return m;
  }
  return mutate(b.rng, f, b.ctx);
}

function producerSteps(b: Builder, t: Topology): void {
  const rng = b.rng;
  const ch = b.channels[0]!;
  const mode = weighted(rng, [[50, 'confirm'], [10, 'tx'], [40, 'plain']] as const);
  if (mode === 'confirm') b.push([b.named(ch, 'confirm.select', { noWait: false })], 'reply');
  if (mode === 'tx') b.push([b.named(ch, 'tx.select', {})], 'reply');
  b.topology(ch, t, 0.02);
  const n = 5 + rng.int(40);
  for (let i = 0; i < n; i++) {
    const props = topologyProperties(rng, b.pools, t);
    const [exchange, rk] = weighted(rng, [
      [70, [t.exchange, 'k']],
      [20, ['', t.queue]],
      [10, [t.dlx, '']],
    ] as const);
    const content = chance(rng, 0.9) ? Buffer.from(`poison ${i}`) : body(rng, b.frameMax);
    b.push(b.publish(ch, exchange, rk, props, content), chance(rng, 0.2) ? 'short' : 'none');
    if (chance(rng, 0.05)) b.push([b.named(ch, 'basic.get', { queue: rng.pick([t.queue, t.dead]), noAck: rng.bool() })], 'reply');
  }
  if (mode === 'tx') b.push([b.named(ch, rng.bool() ? 'tx.commit' : 'tx.rollback', {})], 'reply');
  if (mode === 'confirm') b.push([], 'reply');
}

function consumerSteps(b: Builder, t: Topology, seed: number, index: number): ConsumerPolicy {
  const rng = b.rng;
  const ch = b.channels[0]!;
  b.topology(ch, t, 0.02);
  const queue = rng.bool() ? t.queue : t.dead;
  b.push([b.named(ch, 'basic.qos', { prefetchSize: 0, prefetchCount: rng.pick([1, 3, 10, 50, 0]), global: chance(rng, 0.2) })], 'reply');
  if (chance(rng, 0.75)) {
    const args: FieldTable = chance(rng, 0.3) ? argumentTable(rng, 'consume') : {};
    b.push([b.maybe(b.named(ch, 'basic.consume', { queue, consumerTag: '', noLocal: false, noAck: chance(rng, 0.1), exclusive: false, noWait: false, arguments: args }), 0.03)], 'reply');
  } else {
    const gets = 3 + rng.int(15);
    for (let i = 0; i < gets; i++) b.push([b.named(ch, 'basic.get', { queue, noAck: chance(rng, 0.1) })], 'reply');
  }
  return {
    seed: mix(seed, index, 0xc0),
    vanishAfter: chance(rng, 0.6) ? 1 + rng.int(10) : undefined,
    vanishBy: rng.bool() ? 'destroy' : 'reset',
    maxMs: 150 + rng.int(1200),
    afterwards: weighted(rng, [[30, 'close'], [20, 'recover'], [20, 'cancel'], [15, 'channel-close'], [15, 'reset']] as const),
    channel: ch,
  };
}

/** The method id of basic.deliver and basic.get-ok, for the attacker's reactions. */
export const DELIVERY_METHODS: ReadonlySet<number> = new Set([MethodId.BasicDeliver, MethodId.BasicGetOk]);
