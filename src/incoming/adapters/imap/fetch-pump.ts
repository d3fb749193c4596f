/** One FETCH response as the pump needs it. */
export interface FetchedSource {
  uid: number;
  source?: Buffer;
}

/**
 * Reads the answers of one `UID FETCH` off imapflow's generator and hands them out by UID.
 *
 * Why not just `for await` imapflow's generator: it holds the connection until the consumer
 * asks for the next message, so a fetch runner that acknowledges (or lists) between two
 * messages would queue a command behind its own FETCH and wait forever. The pump keeps
 * reading at most `maxAheadBytes` ahead while the consumer is busy, reads without limit
 * once another command needs the connection (`drain`), and throws away what is left once
 * the consumer has gone (`discard`). It also lets the source yield in the order the
 * caller asked for, whatever order the server answers in.
 */
export class FetchPump {
  private readonly arrived = new Map<number, Buffer>();
  private bufferedBytes = 0;
  private finished = false;
  private failure: unknown = null;
  private failureSeen = false;
  private consumerWaiting = false;
  private unbounded = false;
  private discarding = false;
  private wakeConsumer: (() => void) | null = null;
  private wakePump: (() => void) | null = null;
  /** Settles (never rejects) once the FETCH has been read to its end or failed. */
  readonly done: Promise<void>;

  constructor(
    private readonly pull: () => Promise<IteratorResult<FetchedSource, unknown>>,
    private readonly maxAheadBytes: number,
  ) {
    this.done = this.run();
  }

  /** The raw bytes of `uid`, or null when the FETCH ended without it (expunged meanwhile). */
  async take(uid: number): Promise<Buffer | null> {
    for (;;) {
      const raw = this.arrived.get(uid);
      if (raw) {
        this.arrived.delete(uid);
        this.bufferedBytes -= raw.length;
        return raw;
      }
      if (this.failure) {
        this.failureSeen = true;
        throw this.failure;
      }
      if (this.finished) return null;
      this.consumerWaiting = true;
      const woken = new Promise<void>((resolve) => (this.wakeConsumer = resolve));
      this.resumePump();
      await woken;
      this.consumerWaiting = false;
    }
  }

  /** Another command needs the connection: read the rest now, keep it for the consumer. */
  async drain(): Promise<void> {
    this.unbounded = true;
    this.resumePump();
    await this.done;
  }

  /** The consumer has gone: read the rest (the server sends it anyway) and drop it. */
  discard(): void {
    this.discarding = true;
    this.arrived.clear();
    this.bufferedBytes = 0;
    this.resumePump();
  }

  /** A failure nobody has been told about yet (the consumer left before it happened). */
  get unreportedFailure(): unknown {
    return this.failureSeen ? null : this.failure;
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        while (!this.discarding && !this.unbounded && !this.consumerWaiting && this.bufferedBytes >= this.maxAheadBytes) {
          await new Promise<void>((resolve) => (this.wakePump = resolve));
        }
        const next = await this.pull();
        if (next.done) break;
        const { uid, source } = next.value;
        if (!this.discarding && source) {
          this.arrived.set(uid, source);
          this.bufferedBytes += source.length;
        }
        this.notifyConsumer();
      }
    } catch (err) {
      this.failure = err;
    } finally {
      this.finished = true;
      this.notifyConsumer();
    }
  }

  private notifyConsumer(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = null;
    wake?.();
  }

  private resumePump(): void {
    const wake = this.wakePump;
    this.wakePump = null;
    wake?.();
  }
}
