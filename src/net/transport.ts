/**
 * The byte-stream interface the peer engine speaks over: a TCP socket (via
 * tcp.ts), an in-memory pipe for tests and simulations (memory-pipe.ts), and
 * later uTP. Only what a peer connection needs: chunks in, chunks out with a
 * backpressure signal, flow control for download limits, and one close.
 */

export interface TransportEvents {
  /**
   * Bytes from the remote side. The chunk is lent: it is valid only until the
   * listener returns (a socket may read the next bytes into the same memory),
   * so a listener copies whatever it keeps.
   */
  data: [chunk: Buffer];
  /** The write buffer emptied after a write returned false. */
  drain: [];
  /** The stream is gone (either side ended or destroyed it); emitted once. */
  close: [];
  /** A transport failure; "close" follows. Emitted only when someone listens. */
  error: [err: Error];
}

export interface Transport {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** True once the transport is closed or being torn down. */
  readonly destroyed: boolean;
  /**
   * Queues `chunk` for sending. The caller must not change it afterwards (it
   * is not copied). Returns false when the write buffer is over its high-water
   * mark: the data is still queued, but the writer should wait for "drain".
   */
  write(chunk: Uint8Array): boolean;
  /**
   * Writes several chunks back to back without concatenating them (one
   * writev on a socket): a piece header and its block go out as one segment.
   * `sent`, if given, is called once the transport holds no reference to the
   * chunks any more, so their memory may be reused; a transport may never
   * call it (the memory is then left to the GC), but never calls it early.
   */
  writev(chunks: readonly Uint8Array[], sent?: () => void): boolean;
  /** Sends what is queued, then closes. */
  end(): void;
  /** Closes now; queued outgoing data may be lost. */
  destroy(err?: Error): void;
  /** Stops "data" events (the remote side's writes back up: TCP flow control). */
  pause(): void;
  resume(): void;
  on<E extends keyof TransportEvents>(
    event: E,
    listener: (...args: TransportEvents[E]) => void,
  ): this;
  off<E extends keyof TransportEvents>(
    event: E,
    listener: (...args: TransportEvents[E]) => void,
  ): this;
}
