/**
 * Fixtures for this module's tests: a torrent geometry, two connected
 * PeerConnections, and a scripted raw peer that speaks bytes directly.
 * Not exported from index.ts.
 */
import { setImmediate as tick } from "node:timers/promises";
import { Bitfield } from "../bitfield/index.ts";
import { loadMemoryNetwork, type MemoryPipeOptions, type Transport } from "../net/index.ts";
import { asInfoHash, asPeerId, type ShoalError } from "../util/index.ts";
import {
  decodeHandshake,
  type Extensions,
  encodeHandshake,
  encodeMessage,
  type Frame,
  type Message,
  WireFramer,
} from "../wire/index.ts";
import {
  type Identity,
  type Negotiated,
  negotiateIncoming,
  negotiateOutgoing,
} from "./negotiate.ts";
import { PeerConnection } from "./peer-connection.ts";
import type { PeerConnectionOptions } from "./types.ts";

const { createMemoryPipe } = await loadMemoryNetwork();

export const INFO_HASH = asInfoHash(Buffer.alloc(20, 0xab));
export const ID_A = asPeerId(Buffer.from("-SH0100-aaaaaaaaaaaa"));
export const ID_B = asPeerId(Buffer.from("-TR3000-bbbbbbbbbbbb"));
/** 8 pieces of 32 KiB (two blocks each), the last one short. */
export const PIECE_LENGTH = 32 * 1024;
export const PIECE_COUNT = 8;
export const TOTAL_LENGTH = 7 * PIECE_LENGTH + 20_000;

export function geometry(): Required<Pick<PeerConnectionOptions, "geometry">> {
  return {
    geometry: { pieceCount: PIECE_COUNT, pieceLength: PIECE_LENGTH, totalLength: TOTAL_LENGTH },
  };
}

/** One side of a test connection: who it is (negotiation) and its connection options. */
export interface SideOptions extends Partial<PeerConnectionOptions> {
  peerId?: Uint8Array;
  infoHash?: Uint8Array;
  /** Reserved bits offered (default fast and extended). */
  extensions?: Identity["extensions"];
  dhtPort?: number;
}

function identity(o: SideOptions, peerId: Uint8Array): Identity {
  const id: Identity = { peerId: o.peerId ?? peerId };
  if (o.extensions) id.extensions = o.extensions;
  if (o.dhtPort !== undefined) id.dhtPort = o.dhtPort;
  return id;
}

function connectionOptions(o: SideOptions): PeerConnectionOptions {
  const { peerId: _p, infoHash: _h, extensions: _e, ...rest } = o;
  return { ...geometry(), ...rest };
}

/** A Negotiated as if the handshakes had been exchanged (their bits `theirs`). */
export function negotiatedWith(
  stream: Transport,
  theirs: Partial<Extensions> = { fast: true, extended: true },
  leftover: Buffer = Buffer.alloc(0),
  outgoing = false,
): Negotiated {
  stream.pause();
  return {
    stream,
    handshake: decodeHandshake(encodeHandshake(INFO_HASH, ID_B, theirs)),
    extensions: { fast: true, extended: true, dht: false },
    leftover,
    encrypted: false,
    outgoing,
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

/** What a session does with an incoming stream: negotiate, then build the connection. */
export async function acceptIncoming(
  stream: Transport,
  opts: SideOptions,
  setup: (conn: PeerConnection) => void = () => {},
): Promise<PeerConnection> {
  const hash = opts.infoHash ?? INFO_HASH;
  const n = await negotiateIncoming(stream, {
    lookup: (h) => (h.equals(hash) ? identity(opts, ID_B) : undefined),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const conn = new PeerConnection(n, connectionOptions(opts));
  setup(conn);
  return conn;
}

/** We dial: negotiate, then build the connection. */
export async function dialOutgoing(
  stream: Transport,
  opts: SideOptions,
  setup: (conn: PeerConnection) => void = () => {},
): Promise<PeerConnection> {
  const n = await negotiateOutgoing(stream, {
    infoHash: opts.infoHash ?? INFO_HASH,
    ...identity(opts, ID_A),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const conn = new PeerConnection(n, connectionOptions(opts));
  setup(conn);
  return conn;
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

/** Either side of a negotiation that may fail: closed, with why, when it did. */
export interface Side {
  conn: PeerConnection | undefined;
  closed: boolean;
  outcome: Closed;
}

/** Runs `open`, watching the connection from the moment it exists. */
function settleSide(
  open: (setup: (conn: PeerConnection) => void) => Promise<PeerConnection>,
): Promise<Side> {
  const side: Side = { conn: undefined, closed: false, outcome: {} };
  return open((conn) => {
    side.conn = conn;
    side.outcome = watchClose(conn);
    conn.on("close", () => {
      side.closed = true;
    });
  }).then(
    () => side,
    (err: ShoalError) => ({
      conn: undefined,
      closed: true,
      outcome: { reason: err.message, error: err },
    }),
  );
}

/**
 * A (dials) ⇄ B (accepts, as the session does), negotiated over a memory
 * pipe; either side may fail. Resolves once both are ready or closed.
 */
export async function negotiatePair(
  optsA: SideOptions = {},
  optsB: SideOptions = {},
  pipe: MemoryPipeOptions = {},
  setupB: (b: PeerConnection) => void = () => {},
): Promise<{ a: Side; b: Side }> {
  const [ta, tb] = createMemoryPipe(pipe);
  const [a, b] = await Promise.all([
    settleSide((setup) => dialOutgoing(ta, optsA, setup)),
    settleSide((setup) =>
      acceptIncoming(tb, optsB, (conn) => {
        setup(conn);
        setupB(conn);
      }),
    ),
  ]);
  await until(
    () => [a, b].every((s) => s.closed || s.conn?.ready === true),
    "both ready or closed",
  );
  await settle();
  return { a, b };
}

/** negotiatePair for two sides that must open. */
export async function connectPair(
  optsA: SideOptions = {},
  optsB: SideOptions = {},
  pipe: MemoryPipeOptions = {},
  setupB: (b: PeerConnection) => void = () => {},
): Promise<Pair> {
  const { a, b } = await negotiatePair(optsA, optsB, pipe, setupB);
  if (!a.conn || !b.conn) {
    throw new Error(`negotiation failed: ${a.outcome.reason ?? ""} ${b.outcome.reason ?? ""}`);
  }
  return { a: a.conn, b: b.conn, closedA: a.outcome, closedB: b.outcome };
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
  opts: SideOptions = {},
  ext: Partial<Extensions> = { fast: true, extended: true },
): Promise<{ conn: PeerConnection; raw: RawPeer; closed: Closed }> {
  const [ta, tb] = createMemoryPipe();
  const raw = new RawPeer(tb);
  raw.handshake(ext);
  let closed: Closed = {};
  const conn = await dialOutgoing(ta, opts, (c) => {
    closed = watchClose(c);
  });
  await until(() => conn.ready || conn.closed, "ready");
  await settle();
  return { conn, raw, closed };
}

export function full(): Bitfield {
  return Bitfield.full(PIECE_COUNT);
}
