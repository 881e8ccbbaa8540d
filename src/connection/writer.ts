import type { Duplex } from 'node:stream';
import { encodeHeaderFrame, encodeBodyFrame, bodyFrameParts, FRAME_OVERHEAD } from '../protocol/frames';
import { ClassId, encodeMethodFrame } from '../protocol/generated/amqp';

/** Bytes queued in the socket beyond which deliveries pause until 'drain'. */
const WRITE_BUFFER_LIMIT = 1024 * 1024;

/**
 * The corked write path of one connection: every frame written in a turn goes out in one batch
 * (cork now, uncork on the next tick), and deliveries stop while the socket's buffer is over its limit.
 */
export class FrameWriter {
  frameMax: number;
  /** True while the socket buffer is over WRITE_BUFFER_LIMIT; cleared on 'drain'. */
  blocked = false;
  /** Set on every write; the heartbeat timer clears it. */
  wroteSinceTick = false;
  private corked = false;
  private closed = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(
    private readonly socket: Duplex,
    frameMax: number,
  ) {
    this.frameMax = frameMax;
  }

  write(frame: Buffer): void {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.wroteSinceTick = true;
    this.socket.write(frame);
    if (this.socket.writableLength > WRITE_BUFFER_LIMIT) this.blocked = true;
  }

  method(channel: number, id: number, args: object): void {
    this.write(encodeMethodFrame(channel, id, args));
  }

  /** Content header plus body frames, with the properties bytes re-sent as received. */
  content(channel: number, properties: Buffer, body: Buffer): void {
    this.write(encodeHeaderFrame(channel, ClassId.Basic, body.length, properties));
    if (body.length === 0) return;
    if (body.length <= this.frameMax - FRAME_OVERHEAD) {
      this.write(encodeBodyFrame(channel, body, 0, body.length));
      return;
    }
    for (const part of bodyFrameParts(channel, body, this.frameMax)) this.write(part);
  }

  /** No more writes after this (the socket is ending or gone). */
  close(): void {
    this.closed = true;
  }
}
