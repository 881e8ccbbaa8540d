/**
 * A Server-Sent Events reader over node's fetch, for the live tail tests: it parses `event:`/`data:` blocks as the
 * browser's EventSource does (comments skipped) and lets a test wait for events. `paused` readers stop pulling the
 * body, so the server sees a reader that never reads.
 */
export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  /** Comment lines seen (heartbeats). */
  comments = 0;
  ended = false;
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private waiters: Array<() => void> = [];

  private constructor(
    readonly response: Response,
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly controller: AbortController,
  ) {}

  /** Opens `url`; a non-200 answer is returned as is (its JSON error body unread). */
  static async open(url: string, headers: Record<string, string>, opts: { paused?: boolean } = {}): Promise<SseReader | Response> {
    const controller = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    if (response.status !== 200 || response.body === null) return response;
    const reader = new SseReader(response, response.body.getReader(), controller);
    if (opts.paused !== true) void reader.pump();
    return reader;
  }

  /** Starts (or resumes) reading the body. */
  resume(): void {
    void this.pump();
  }

  /** Closes the connection from the client's side. */
  abort(): void {
    this.controller.abort();
  }

  /** The data of the events named `event` so far. */
  data(event = 'message'): unknown[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data);
  }

  /** Waits until `probe` holds over the events read, or fails after `timeoutMs`. */
  async until(probe: (r: SseReader) => boolean, timeoutMs = 5000, what = 'events'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!probe(this)) {
      const left = deadline - Date.now();
      if (left <= 0 || (this.ended && !probe(this))) {
        throw new Error(`timed out waiting for ${what}; got ${this.events.length} events: ${JSON.stringify(this.events.slice(-3))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (done) break;
        this.buffer += this.decoder.decode(value, { stream: true });
        this.parse();
      }
    } catch {
      // aborted
    }
    this.ended = true;
    this.wake();
  }

  private parse(): void {
    let cut: number;
    while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments++;
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.events.push({ event, data: JSON.parse(data.join('\n')) as unknown });
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
