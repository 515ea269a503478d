/**
 * The one step between a fresh stream and a PeerConnection, the same for
 * both directions: the BEP 3 handshakes are exchanged, the torrent (info
 * hash) and the peer (peer id) are learnt, and the stream is handed on
 * paused, with the bytes already read past the handshake. MSE (a later
 * issue) belongs here too: it would wrap the stream before the handshake.
 *
 * BEP 3: the initiator sends its handshake at once. The receiver of a
 * connection may wait for the initiator's before answering, which a client
 * serving several torrents must do: it answers only for a torrent it serves.
 */
import type { Transport } from "../net/index.ts";
import { type Clock, type InfoHash, realClock } from "../util/index.ts";
import {
  decodeHandshake,
  type Extensions,
  encodeHandshake,
  HANDSHAKE_LENGTH,
  type Handshake,
  WireError,
} from "../wire/index.ts";
import { PeerError } from "./errors.ts";

/** A stream past its handshakes: what a PeerConnection is built from. */
export interface Negotiated {
  /** Paused: the PeerConnection resumes it once it listens. */
  stream: Transport;
  /** Theirs. */
  handshake: Handshake;
  /** The reserved bits we sent (an extension is on when both sides set it). */
  extensions: Extensions;
  /** Bytes received after their handshake (owned, not lent). */
  leftover: Buffer;
  /** We dialled. */
  outgoing: boolean;
}

/** Who we are on a connection. */
export interface Identity {
  /** Our peer id. */
  peerId: Uint8Array;
  /** Reserved bits to offer (default: BEP 6 fast and BEP 10 extended on). */
  extensions?: Partial<Pick<Extensions, "fast" | "extended">>;
  /** BEP 5: set the DHT bit, only when a DHT listens on this port. */
  dhtPort?: number;
}

export interface NegotiateOptions {
  clock?: Clock;
  /** Their handshake must arrive within this long (default 10 s). */
  timeoutMs?: number;
}

export interface OutgoingOptions extends Identity, NegotiateOptions {
  infoHash: Uint8Array;
}

export interface IncomingOptions extends NegotiateOptions {
  /** The torrent their handshake names: our identity for it, or undefined to refuse it. */
  lookup(infoHash: InfoHash): Identity | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** The reserved bits an identity offers. */
export function offeredExtensions(id: Identity): Extensions {
  return {
    fast: id.extensions?.fast ?? true,
    extended: id.extensions?.extended ?? true,
    dht: id.dhtPort !== undefined,
  };
}

/** We dialled: our handshake goes out at once, theirs must name the same torrent. */
export async function negotiateOutgoing(
  stream: Transport,
  opts: OutgoingOptions,
): Promise<Negotiated> {
  const extensions = offeredExtensions(opts);
  stream.write(encodeHandshake(opts.infoHash, opts.peerId, extensions));
  const { handshake, leftover } = await readHandshake(stream, opts);
  try {
    if (!handshake.infoHash.equals(opts.infoHash)) {
      throw new PeerError(
        "info_hash_mismatch",
        `the peer is on another torrent (info hash ${handshake.infoHash.toString("hex")})`,
      );
    }
    checkNotSelf(handshake, opts.peerId);
  } catch (err) {
    stream.destroy();
    throw err;
  }
  return { stream, handshake, extensions, leftover, outgoing: true };
}

/** They dialled: we answer only once their handshake names a torrent we serve. */
export async function negotiateIncoming(
  stream: Transport,
  opts: IncomingOptions,
): Promise<Negotiated> {
  const { handshake, leftover } = await readHandshake(stream, opts);
  let identity: Identity | undefined;
  try {
    identity = opts.lookup(handshake.infoHash);
    if (!identity) {
      throw new PeerError(
        "info_hash_mismatch",
        `the peer is on another torrent (info hash ${handshake.infoHash.toString("hex")}, not one we serve)`,
      );
    }
    checkNotSelf(handshake, identity.peerId);
  } catch (err) {
    stream.destroy();
    throw err;
  }
  const extensions = offeredExtensions(identity);
  stream.write(encodeHandshake(handshake.infoHash, identity.peerId, extensions));
  return { stream, handshake, extensions, leftover, outgoing: false };
}

function checkNotSelf(handshake: Handshake, ourId: Uint8Array): void {
  if (handshake.peerId.equals(ourId)) {
    throw new PeerError("self_connection", "connected to self (the peer id is ours)");
  }
}

/**
 * Reads their 68-byte handshake, refusing a stream that is not BitTorrent on
 * its first byte. Resolves with the stream paused, so that nothing is lost
 * before its next reader listens; on failure the stream is destroyed.
 */
function readHandshake(
  stream: Transport,
  opts: NegotiateOptions,
): Promise<{ handshake: Handshake; leftover: Buffer }> {
  const clock = opts.clock ?? realClock;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (err: Error | undefined, value?: { handshake: Handshake; leftover: Buffer }) => {
      clock.clearTimeout(timer);
      stream.off("data", onData);
      stream.off("close", onClose);
      stream.off("error", onError);
      if (err) {
        stream.destroy();
        reject(err);
      } else {
        stream.pause();
        resolve(value!);
      }
    };
    const onData = (chunk: Buffer) => {
      // A stream's chunk is only lent to us.
      chunks.push(Buffer.from(chunk));
      length += chunk.length;
      if (chunks[0]![0] !== 19) {
        finish(
          new WireError(
            "bad_protocol",
            "the peer does not speak the BitTorrent protocol (bad handshake)",
          ),
        );
        return;
      }
      if (length < HANDSHAKE_LENGTH) return;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      try {
        const handshake = decodeHandshake(all.subarray(0, HANDSHAKE_LENGTH));
        finish(undefined, { handshake, leftover: all.subarray(HANDSHAKE_LENGTH) });
      } catch (err) {
        finish(err as Error);
      }
    };
    const onClose = () => finish(new PeerError("closed", "the peer closed the connection"));
    const onError = (err: Error) =>
      finish(new PeerError("transport", `connection error: ${err.message}`, { cause: err }));
    const timer = clock.setTimeout(
      () => finish(new PeerError("handshake_timeout", "no handshake from the peer in time")),
      opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    stream.on("data", onData);
    stream.on("close", onClose);
    stream.on("error", onError);
    stream.resume();
  });
}
