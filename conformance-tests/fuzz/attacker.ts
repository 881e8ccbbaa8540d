/**
 * Plays one script over one TCP connection and reacts to the broker the way a client must: close-ok for a
 * connection.close, close-ok and a fresh channel.open for a channel.close (so the script goes on after soft
 * errors), and, for consumer scripts, acks, nacks and rejects for deliveries and an abrupt exit while holding them.
 * Every frame written is recorded with its time and label, for the crash file and for replay.
 */
import * as net from 'node:net';
import { FrameReader } from '../../src/protocol/frame-reader';
import { decodeMethodArgs, encodeMethodFrame, FRAME_METHOD, MethodId, methodName, ReplyCode, replyCodeName } from '../../src/protocol/generated/amqp';
import { MalformedShortstrError } from '../../src/protocol/errors';
import { Rng } from '../../src/protocol/test-support/random';
import type { Frame } from './mutate';
import { DELIVERY_METHODS, type ConsumerPolicy, type Pause, type Script } from './script';
import { chance, weighted } from './vocabulary';
import { bump, mutationName, type AttackStats } from './stats';
import { ORACLE_WAIT_MS, OracleWatch } from './oracle';

export { newStats, type AttackStats } from './stats';

/** The text of Leveret's 541 for content-header properties it cannot decode (RabbitMQ's code for them). */
const UNDECODABLE_PROPERTIES = "cannot decode the content header's properties";

/** Most frames kept per connection for the crash file and replay (a script is far shorter). */
const MAX_RECORDED_FRAMES = 2000;
const HANDSHAKE_WAIT_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;
const DRAIN_WAIT_MS = 3000;
const SHORT_PAUSE_MS = 2;
const REPLY_PAUSE_MS = 150;

export interface SentFrame {
  /** ms since the connection started. */
  t: number;
  label: string;
  mutated: boolean;
  bytes: Buffer;
}

export interface ConnectionRecord {
  index: number;
  kind: string;
  seed: number;
  localPort: number | undefined;
  startedAt: number;
  endedAt: number | undefined;
  /** How it ended: 'closed by broker 501 FRAME_ERROR', 'script done (reset)', 'socket closed', ... */
  outcome: string;
  frames: SentFrame[];
}

export interface Target {
  host: string;
  port: number;
}

export interface AttackControl {
  /** Set when the run is stopping: attackers end at their next step. */
  stopped: boolean;
}

class Attacker {
  private readonly socket: net.Socket;
  private readonly reader = new FrameReader(0);
  private wake: (() => void) | undefined;
  private gotData = false;
  /** The broker closed the connection (connection.close) or the socket closed. */
  private over = false;
  private socketClosed = false;
  private readonly seen = new Set<number>();
  private readonly policyRng: Rng | undefined;
  private deliveries = 0;
  private lastTag = 0;
  private consumerTag = '';
  private vanished = false;
  private readonly t0 = Date.now();
  private readonly oracle: OracleWatch | undefined;

  constructor(
    private readonly script: Script,
    private readonly stats: AttackStats,
    readonly record: ConnectionRecord,
    socket: net.Socket,
  ) {
    this.socket = socket;
    this.policyRng = script.consumer !== undefined ? new Rng(script.consumer.seed) : undefined;
    this.oracle = script.oracle !== undefined ? new OracleWatch(script.oracle, stats, script.index) : undefined;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {
      // ECONNRESET, EPIPE: 'close' follows
    });
    socket.on('close', () => {
      this.socketClosed = true;
      this.over = true;
      if (this.record.outcome === '') this.record.outcome = 'socket closed by broker';
      this.notify();
    });
  }

  private notify(): void {
    this.gotData = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private until(done: () => boolean, ms: number): Promise<void> {
    if (done() || this.socketClosed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      const self = this;
      function finish(): void {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      const check = (): void => {
        if (done() || self.socketClosed) finish();
        else self.wake = check;
      };
      this.wake = check;
    });
  }

  private async pause(p: Pause): Promise<void> {
    if (p === 'none') return;
    this.gotData = false;
    await this.until(() => this.gotData, p === 'short' ? SHORT_PAUSE_MS : REPLY_PAUSE_MS);
  }

  private remember(f: Frame): void {
    this.stats.frames++;
    if (f.mutated) {
      this.stats.mutated++;
      bump(this.stats.mutations, mutationName(f.label));
    }
    if (this.record.frames.length < MAX_RECORDED_FRAMES) {
      this.record.frames.push({ t: Date.now() - this.t0, label: f.label, mutated: f.mutated, bytes: f.bytes });
    }
  }

  /** Writes frames (one write, or a few bytes at a time) and waits for the socket to drain when it must. */
  private async send(frames: Frame[], split = false): Promise<void> {
    if (this.socketClosed || frames.length === 0) return;
    for (const f of frames) this.remember(f);
    const bytes = frames.length === 1 ? frames[0]!.bytes : Buffer.concat(frames.map((f) => f.bytes));
    let ok = true;
    if (split) {
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + (at % 3);
        ok = this.socket.write(bytes.subarray(at, at + n));
        at += n;
      }
    } else {
      ok = this.socket.write(bytes);
    }
    if (!ok && !this.socketClosed) {
      let drained = false;
      this.socket.once('drain', () => {
        drained = true;
        this.notify();
      });
      await this.until(() => drained, DRAIN_WAIT_MS);
      if (!drained) {
        this.record.outcome = 'broker stopped reading (drain timeout)';
        this.socket.destroy();
      }
    }
  }

  /** A reaction to the broker (close-ok, reopen, ack): recorded and counted like any frame. */
  private react(channel: number, id: number, args: object, label: string, mutated = false): void {
    if (this.socketClosed) return;
    const bytes = encodeMethodFrame(channel, id, args as never);
    const f: Frame = { bytes, label: `ch${channel} ${label} (reaction)`, mutated, kind: 'method', channel };
    this.remember(f);
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    if (this.seen.size === 0 && this.reader.bufferedBytes === 0 && chunk.length >= 8 && chunk.toString('latin1', 0, 4) === 'AMQP') {
      // The broker's answer to a protocol header it does not speak: its own header, then it closes.
      this.record.outcome = `protocol header refused (broker answered ${chunk.subarray(0, 8).toString('hex')})`;
      this.over = true;
      this.notify();
      return;
    }
    this.reader.push(chunk);
    try {
      while (this.reader.next()) {
        if (this.reader.frameType !== FRAME_METHOD) continue;
        try {
          this.onMethod(this.reader.channel, this.reader.payload);
        } catch (err) {
          // A method carrying back bytes this client sent (a routing key, or a name in a reply text, that is not
          // UTF-8) is what RabbitMQ sends too; only the strict decoder used here minds. Anything else is garbage.
          if (!(err instanceof MalformedShortstrError)) throw err;
          this.stats.echoedBytes++;
        }
      }
    } catch (err) {
      if (this.stats.garbage.length < 100) {
        const p = this.reader.payload;
        const what = p.length >= 4 ? methodName(p.readUInt32BE(0)) : `frame type ${this.reader.frameType}`;
        this.stats.garbage.push({ connection: this.script.index, error: `${what}: ${(err as Error).message} (${p.subarray(0, 48).toString('hex')})` });
      }
      this.socket.destroy();
    }
    this.notify();
  }

  private onMethod(channel: number, payload: Buffer): void {
    if (payload.length < 4) throw new Error(`method frame of ${payload.length} bytes`);
    const id = payload.readUInt32BE(0);
    this.seen.add(id);
    switch (id) {
      case MethodId.ConnectionClose: {
        const a = decodeMethodArgs(MethodId.ConnectionClose, payload, 4, payload.length);
        this.closed('connection.close', a.replyCode, a.replyText);
        this.react(0, MethodId.ConnectionCloseOk, {}, 'connection.close-ok');
        this.over = true;
        return;
      }
      case MethodId.ConnectionCloseOk:
        this.over = true;
        return;
      case MethodId.BasicConsumeOk:
        this.consumerTag = decodeMethodArgs(MethodId.BasicConsumeOk, payload, 4, payload.length).consumerTag;
        return;
      case MethodId.ChannelClose: {
        const a = decodeMethodArgs(MethodId.ChannelClose, payload, 4, payload.length);
        this.closed('channel.close', a.replyCode, a.replyText);
        this.react(channel, MethodId.ChannelCloseOk, {}, 'channel.close-ok');
        // Reopen so the rest of the script still reaches a live channel.
        if (!this.over && this.script.channels.includes(channel)) this.react(channel, MethodId.ChannelOpen, { outOfBand: '' }, 'channel.open');
        return;
      }
      default:
        if (DELIVERY_METHODS.has(id)) {
          this.stats.deliveries++;
          const a = decodeMethodArgs(id, payload, 4, payload.length) as { deliveryTag: number };
          this.onDelivery(channel, a.deliveryTag);
        } else {
          // Everything else is only checked to decode: the broker must send well-formed methods.
          decodeMethodArgs(id, payload, 4, payload.length);
        }
    }
  }

  private closed(what: string, code: number, text: string): void {
    this.oracle?.onClose(what, code);
    const key = `${what} ${code} ${replyCodeName(code)}`;
    bump(this.stats.closes, key);
    if (what === 'connection.close') this.record.outcome = `closed by broker ${code} ${replyCodeName(code)}: ${text}`;
    // 541 is also RabbitMQ's answer to content-header properties it cannot decode: a clean refusal, not a fault.
    if (code === ReplyCode.InternalError && !text.includes(UNDECODABLE_PROPERTIES) && this.stats.internalErrors.length < 50) {
      this.stats.internalErrors.push({ text, connection: this.script.index, lastFrames: this.record.frames.slice(-5).map((f) => f.label) });
    }
  }

  /** Consumer scripts: ack, nack, reject (with or without requeue) or hold each delivery; maybe vanish. */
  private onDelivery(channel: number, tag: number): void {
    const policy = this.script.consumer;
    this.deliveries++;
    this.lastTag = tag;
    if (policy === undefined || this.policyRng === undefined || this.vanished) return;
    const rng = this.policyRng;
    const action = weighted(rng, [
      [30, 'ack'],
      [20, 'nack-requeue'],
      [15, 'reject-requeue'],
      [10, 'reject-drop'],
      [5, 'nack-multiple'],
      [15, 'hold'],
      [5, 'bogus-tag'],
    ] as const);
    switch (action) {
      case 'ack':
        this.react(channel, MethodId.BasicAck, { deliveryTag: tag, multiple: false }, 'basic.ack');
        break;
      case 'nack-requeue':
        this.react(channel, MethodId.BasicNack, { deliveryTag: tag, multiple: false, requeue: true }, 'basic.nack requeue');
        break;
      case 'reject-requeue':
        this.react(channel, MethodId.BasicReject, { deliveryTag: tag, requeue: true }, 'basic.reject requeue');
        break;
      case 'reject-drop':
        this.react(channel, MethodId.BasicReject, { deliveryTag: tag, requeue: false }, 'basic.reject');
        break;
      case 'nack-multiple':
        this.react(channel, MethodId.BasicNack, { deliveryTag: tag, multiple: true, requeue: chance(rng, 0.7) }, 'basic.nack multiple');
        break;
      case 'bogus-tag':
        this.react(channel, MethodId.BasicAck, { deliveryTag: tag + 1000, multiple: rng.bool() }, 'basic.ack unknown tag', true);
        break;
      case 'hold':
        break;
    }
    if (policy.vanishAfter !== undefined && this.deliveries >= policy.vanishAfter) this.vanish(policy);
  }

  /** Gone without a word, holding whatever is unacked. */
  private vanish(policy: ConsumerPolicy): void {
    this.vanished = true;
    this.record.outcome = `vanished (${policy.vanishBy}) after ${this.deliveries} deliveries`;
    if (policy.vanishBy === 'reset') this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  async run(control: AttackControl): Promise<void> {
    const deadline = setTimeout(() => {
      if (!this.socketClosed) {
        this.record.outcome = `deadline (${this.script.deadlineMs} ms)`;
        this.socket.destroy();
      }
    }, this.script.deadlineMs);
    try {
      if (!(await this.handshake())) return;
      const steps = this.script.steps;
      for (let i = 0; i < steps.length; i++) {
        if (this.over || control.stopped) break;
        if (i === steps.length - 1) this.oracle?.probeSent();
        await this.send(steps[i]!.frames, steps[i]!.split === true);
        await this.pause(steps[i]!.pause);
      }
      if (this.oracle !== undefined) await this.judge(control);
      if (this.script.consumer !== undefined && !this.over && !control.stopped) await this.consume(this.script.consumer, control);
      if (!this.over && !control.stopped) await this.end();
    } finally {
      clearTimeout(deadline);
      if (this.record.outcome === '') this.record.outcome = control.stopped ? 'stopped by the run' : 'script done';
      if (!this.socketClosed) this.socket.destroy();
    }
  }

  private async handshake(): Promise<boolean> {
    const h = this.script.hello;
    const fail = (what: string): false => {
      this.record.outcome = this.record.outcome !== '' ? this.record.outcome : `handshake: ${what}`;
      if (h.valid && this.stats.handshakeFailures.length < 1000) this.stats.handshakeFailures.push({ at: Date.now(), what: `#${this.script.index}: ${what} (${this.record.outcome})` });
      return false;
    };
    await this.send([h.header]);
    await this.until(() => this.seen.has(MethodId.ConnectionStart), HANDSHAKE_WAIT_MS);
    if (!this.seen.has(MethodId.ConnectionStart)) return fail('no connection.start');
    await this.send([h.startOk]);
    if (h.pipelined) await this.send([h.tuneOk, h.open]);
    await this.until(() => this.seen.has(MethodId.ConnectionTune), HANDSHAKE_WAIT_MS);
    if (!this.seen.has(MethodId.ConnectionTune)) return fail('no connection.tune');
    if (!h.pipelined) await this.send([h.tuneOk, h.open]);
    await this.until(() => this.seen.has(MethodId.ConnectionOpenOk), HANDSHAKE_WAIT_MS);
    if (!this.seen.has(MethodId.ConnectionOpenOk)) return fail('no connection.open-ok');
    return true;
  }

  /** Oracle scripts: wait for the answer to the probe (the last step), then count it. */
  private async judge(control: AttackControl): Promise<void> {
    const o = this.oracle!;
    await this.until(() => o.answered, ORACLE_WAIT_MS);
    const excused = control.stopped || this.record.outcome.startsWith('deadline');
    const last = this.script.steps[this.script.steps.length - 1]?.frames ?? [];
    o.finish(this.socketClosed && !o.answered, excused, last.map((f) => f.label).join(' | '));
  }

  private async consume(policy: ConsumerPolicy, control: AttackControl): Promise<void> {
    const until = Date.now() + policy.maxMs;
    while (!this.over && !control.stopped && !this.vanished && Date.now() < until) {
      await this.until(() => false, Math.min(50, until - Date.now()));
    }
    if (this.over || this.vanished || control.stopped) return;
    const ch = policy.channel;
    switch (policy.afterwards) {
      case 'recover':
        this.react(ch, MethodId.BasicRecover, { requeue: true }, 'basic.recover');
        break;
      case 'cancel':
        this.react(ch, MethodId.BasicCancel, { consumerTag: this.consumerTag, noWait: false }, 'basic.cancel');
        if (this.lastTag > 0) this.react(ch, MethodId.BasicNack, { deliveryTag: 0, multiple: true, requeue: true }, 'basic.nack all');
        break;
      case 'channel-close':
        this.react(ch, MethodId.ChannelClose, { replyCode: 200, replyText: 'done', classId: 0, methodId: 0 }, 'channel.close');
        break;
      case 'reset':
        this.record.outcome = 'consumer reset the connection';
        this.socket.resetAndDestroy();
        return;
      case 'close':
        break;
    }
    await this.pause('reply');
  }

  private async end(): Promise<void> {
    switch (this.script.ending) {
      case 'close':
      case 'linger': {
        if (this.script.ending === 'linger') await this.pause('reply');
        if (this.over) return;
        this.react(0, MethodId.ConnectionClose, { replyCode: 200, replyText: 'bye', classId: 0, methodId: 0 }, 'connection.close');
        await this.until(() => this.over, 2000);
        if (this.record.outcome === '') this.record.outcome = this.over ? 'closed cleanly' : 'no close-ok within 2 s';
        return;
      }
      case 'destroy':
        this.record.outcome = 'script done (destroy)';
        this.socket.destroy();
        return;
      case 'reset':
        this.record.outcome = 'script done (reset)';
        this.socket.resetAndDestroy();
        return;
      case 'partial': {
        // Half a frame, then gone.
        const f = encodeMethodFrame(1, MethodId.BasicQos, { prefetchSize: 0, prefetchCount: 1, global: false });
        const half = f.subarray(0, 1 + (this.script.index % (f.length - 1)));
        this.remember({ bytes: half, label: `partial frame (${half.length} of ${f.length} bytes)`, mutated: true, kind: 'raw', channel: 1 });
        this.socket.write(half);
        this.record.outcome = 'script done (partial frame, destroy)';
        this.socket.destroy();
        return;
      }
    }
  }
}

/** Connects, plays the script, and returns when the connection is over. Never throws. */
export async function attack(target: Target, script: Script, stats: AttackStats, control: AttackControl, record: ConnectionRecord): Promise<void> {
  stats.connections++;
  let socket: net.Socket;
  try {
    socket = await new Promise<net.Socket>((resolve, reject) => {
      // A stuck broker's listen backlog fills up, and then the kernel drops SYNs for minutes: give up sooner.
      const timer = setTimeout(() => {
        s.destroy();
        reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
      }, CONNECT_TIMEOUT_MS);
      const s = net.connect({ host: target.host, port: target.port }, () => {
        clearTimeout(timer);
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    stats.connectErrors++;
    record.outcome = `connect failed: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    record.endedAt = Date.now();
    return;
  }
  record.localPort = socket.localPort;
  const a = new Attacker(script, stats, record, socket);
  try {
    await a.run(control);
  } catch (err) {
    record.outcome = `attacker error: ${(err as Error).stack ?? String(err)}`;
    socket.destroy();
  }
  record.endedAt = Date.now();
}

export function newRecord(script: Script): ConnectionRecord {
  return { index: script.index, kind: script.kind, seed: script.seed, localPort: undefined, startedAt: Date.now(), endedAt: undefined, outcome: '', frames: [] };
}
