/**
 * Fixtures for this module's tests: a torrent geometry, two connected
 * PeerConnections, and a scripted raw peer that speaks bytes directly.
 * Not exported from index.ts.
 */
import { setImmediate as tick } from "node:timers/promises";
import { Bitfield } from "../bitfield/index.ts";
import { createMemoryPipe, type MemoryPipeOptions, type Transport } from "../net/index.ts";
import { asInfoHash, asPeerId, type ShoalError } from "../util/index.ts";
import {
  decodeHandshake,
  type Extensions,
  encodeHandshake,
  encodeMessage,
  type Frame,
  HANDSHAKE_LENGTH,
  type Message,
  WireFramer,
} from "../wire/index.ts";
import { PeerConnection } from "./peer-connection.ts";
import type { PeerConnectionOptions } from "./types.ts";

export const INFO_HASH = asInfoHash(Buffer.alloc(20, 0xab));
export const ID_A = asPeerId(Buffer.from("-SH0100-aaaaaaaaaaaa"));
export const ID_B = asPeerId(Buffer.from("-TR3000-bbbbbbbbbbbb"));
/** 8 pieces of 32 KiB (two blocks each), the last one short. */
export const PIECE_LENGTH = 32 * 1024;
export const PIECE_COUNT = 8;
export const TOTAL_LENGTH = 7 * PIECE_LENGTH + 20_000;

export function geometry(): Pick<
  PeerConnectionOptions,
  "infoHash" | "pieceCount" | "pieceLength" | "totalLength"
> {
  return {
    infoHash: INFO_HASH,
    pieceCount: PIECE_COUNT,
    pieceLength: PIECE_LENGTH,
    totalLength: TOTAL_LENGTH,
  };
}

/** Deterministic content of the test torrent. */
export function blockData(index: number, begin: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (index * 31 + begin + i) & 0xff;
  return out;
}

/** Every block of the test torrent, in order. */
export function allBlocks(): { index: number; begin: number; length: number }[] {
  const out = [];
  for (let index = 0; index < PIECE_COUNT; index++) {
    const size = index === PIECE_COUNT - 1 ? TOTAL_LENGTH - PIECE_LENGTH * index : PIECE_LENGTH;
    for (let begin = 0; begin < size; begin += 16384) {
      out.push({ index, begin, length: Math.min(16384, size - begin) });
    }
  }
  return out;
}

export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await tick();
}

/** Waits (in event-loop turns, not time) until `pred` holds. */
export async function until(pred: () => boolean, what = "condition", rounds = 5000): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (pred()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What a session does with an incoming transport: read the handshake, then build the connection. */
export function acceptIncoming(
  transport: Transport,
  make: (handshake: ReturnType<typeof decodeHandshake>, leftover: Buffer) => PeerConnection,
): Promise<PeerConnection> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < HANDSHAKE_LENGTH) return;
      transport.off("data", onData);
      try {
        const hs = decodeHandshake(buffered.subarray(0, HANDSHAKE_LENGTH));
        resolve(make(hs, buffered.subarray(HANDSHAKE_LENGTH)));
      } catch (err) {
        transport.destroy();
        reject(err);
      }
    };
    transport.on("data", onData);
  });
}

export interface Closed {
  reason?: string;
  error?: ShoalError;
}

/** Records a connection's close. */
export function watchClose(conn: PeerConnection): Closed {
  const out: Closed = {};
  conn.on("close", (reason, error) => {
    out.reason = reason;
    out.error = error;
  });
  return out;
}

export interface Pair {
  a: PeerConnection;
  b: PeerConnection;
  closedA: Closed;
  closedB: Closed;
}

/**
 * A (outgoing) ⇄ B (incoming, handshake read first as the session does), over
 * a memory pipe. Resolves once both are ready.
 */
export async function connectPair(
  optsA: Partial<PeerConnectionOptions> = {},
  optsB: Partial<PeerConnectionOptions> = {},
  pipe: MemoryPipeOptions = {},
  setupB: (b: PeerConnection) => void = () => {},
): Promise<Pair> {
  const [ta, tb] = createMemoryPipe(pipe);
  const a = new PeerConnection(ta, { ...geometry(), peerId: ID_A, ...optsA });
  const closedA = watchClose(a);
  let closedB: Closed = {};
  const b = await acceptIncoming(tb, (handshake, leftover) => {
    const conn = new PeerConnection(tb, {
      ...geometry(),
      peerId: ID_B,
      handshake,
      leftover,
      ...optsB,
    });
    closedB = watchClose(conn);
    setupB(conn);
    return conn;
  });
  await until(() => (a.ready || a.closed) && (b.ready || b.closed), "both ready");
  await settle();
  return { a, b, closedA, closedB };
}

/** A peer scripted byte by byte: records every frame it receives. */
export class RawPeer {
  readonly transport: Transport;
  readonly frames: Frame[] = [];
  readonly framer: WireFramer;
  closed = false;
  error: unknown;

  constructor(transport: Transport, expectHandshake = true) {
    this.transport = transport;
    this.framer = new WireFramer({ handshake: expectHandshake });
    transport.on("data", (chunk) => {
      this.framer.push(chunk);
      try {
        for (let f = this.framer.next(); f; f = this.framer.next()) this.frames.push(f);
      } catch (err) {
        this.error = err;
      }
    });
    transport.on("close", () => {
      this.closed = true;
    });
  }

  handshake(
    ext: Partial<Extensions> = { fast: true, extended: true },
    id = ID_B,
    hash = INFO_HASH,
  ): void {
    this.transport.write(encodeHandshake(hash, id, ext));
  }

  send(m: Message): void {
    this.transport.write(encodeMessage(m));
  }

  messages(): Message[] {
    return this.frames.flatMap((f) => (f.kind === "message" ? [f.message] : []));
  }

  types(): string[] {
    return this.messages().map((m) => m.type);
  }
}

/**
 * A PeerConnection (outgoing, options as given) facing a RawPeer that has
 * answered its handshake with `ext`.
 */
export async function connectRaw(
  opts: Partial<PeerConnectionOptions> = {},
  ext: Partial<Extensions> = { fast: true, extended: true },
): Promise<{ conn: PeerConnection; raw: RawPeer; closed: Closed }> {
  const [ta, tb] = createMemoryPipe();
  const conn = new PeerConnection(ta, { ...geometry(), peerId: ID_A, ...opts });
  const closed = watchClose(conn);
  const raw = new RawPeer(tb);
  raw.handshake(ext);
  await until(() => conn.ready || conn.closed, "ready");
  await settle();
  return { conn, raw, closed };
}

export function full(): Bitfield {
  return Bitfield.full(PIECE_COUNT);
}
