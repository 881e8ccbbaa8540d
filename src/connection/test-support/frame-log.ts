/**
 * The frames a test client received, read as they arrive: what is new since the last look, and waiting (turn by
 * turn, never by time) for a frame. Shared by the two in-memory harnesses (harness.ts, wire.ts), which decode frames
 * to different shapes.
 */
export class FrameLog<F extends { method?: string }> {
  private seen = 0;

  /** `decodeAll`: every frame received so far, decoded. */
  constructor(private readonly decodeAll: () => F[]) {}

  /** Frames received since the last call (or the last frame until() returned). */
  newFrames(): F[] {
    const all = this.decodeAll();
    const fresh = all.slice(this.seen);
    this.seen = all.length;
    return fresh;
  }

  /**
   * Waits until a frame matching `match` arrives and returns the new frames up to and including it; the frames after
   * it stay new. Fails after `turns` event-loop turns without one.
   */
  async until(match: (frame: F) => boolean, what = 'the frame', turns = 1000): Promise<F[]> {
    const got: F[] = [];
    for (let i = 0; i < turns; i++) {
      const from = this.seen;
      const fresh = this.newFrames();
      for (let k = 0; k < fresh.length; k++) {
        const frame = fresh[k] as F;
        got.push(frame);
        if (match(frame)) {
          this.seen = from + k + 1;
          return got;
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`${what} did not arrive; got ${JSON.stringify(got.map((f) => f.method ?? 'content'))}`);
  }

  /** Waits until method `name` arrives on any channel; returns the new frames up to and including it. */
  untilMethod(name: string): Promise<F[]> {
    return this.until((f) => f.method === name, name);
  }
}
