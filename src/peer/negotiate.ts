/**
 * The one step between a fresh stream and a PeerConnection, the same for
 * both directions: Message Stream Encryption when the policy asks for it
 * (mse.ts), the BEP 3 handshakes, the torrent (info hash) and the peer
 * (peer id) learnt, and the stream handed on paused (decrypting, when RC4
 * was selected), with the bytes already read past the handshake.
 *
 * BEP 3: the initiator sends its handshake at once (with MSE, inside the
 * encrypted handshake's initial payload). The receiver of a connection may
 * wait for the initiator's before answering, which a client serving several
 * torrents must do: it answers only for a torrent it serves. It tells an
 * encrypted connection from a plain one by its first 20 bytes.
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
import { loadPeerConnection, peerConnectionLoaded } from "./connection-loader.ts";
import { ENCRYPTION_POLICIES, type EncryptionPolicy } from "./encryption-policy.ts";
import { PeerError } from "./errors.ts";
import type { CryptoOffer } from "./mse.ts";
import type { MseKeyPair } from "./mse-key-pair.ts";
import type { Negotiated } from "./negotiated.ts";
import { StreamReader } from "./stream-reader.ts";

export type { Negotiated } from "./negotiated.ts";

export { ENCRYPTION_POLICIES, type EncryptionPolicy };

/** Who we are on a connection. */
export interface Identity {
  /** Our peer id. */
  peerId: Uint8Array;
  /** Reserved bits to offer (default: BEP 6 fast and BEP 10 extended on). */
  extensions?: Partial<Pick<Extensions, "fast" | "extended">>;
  /** BEP 5: set the DHT bit, only when a DHT listens on this port. */
  dhtPort?: number;
  /** MSE (default "enabled"). */
  encryption?: EncryptionPolicy;
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
  /** The torrents we serve, for an encrypted handshake, which names its torrent only by a hash. */
  infoHashes?(): Iterable<Uint8Array>;
  /** The policy for a connection before its torrent is known (default "enabled"). */
  encryption?: EncryptionPolicy;
  /** Our MSE key pair (default: a fresh one per connection; the fuzzer fixes one). */
  mseKeyPair?: MseKeyPair;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** BEP 3: a handshake starts with 19 and "BitTorrent protocol". */
const PROTOCOL = Buffer.concat([Buffer.from([19]), Buffer.from("BitTorrent protocol")]);

/** The reserved bits an identity offers. */
export function offeredExtensions(id: Identity): Extensions {
  return {
    fast: id.extensions?.fast ?? true,
    extended: id.extensions?.extended ?? true,
    dht: id.dhtPort !== undefined,
  };
}

/**
 * MSE's handshake (mse.ts, with its RC4 and the WebAssembly module it
 * builds), loaded with the first connection that uses it: under the default
 * policy ("enabled": dial plaintext, accept either) a process whose peers
 * all speak plaintext never loads it, which saves each start a few ms of CPU.
 */
function loadMse(): Promise<typeof import("./mse.ts")> {
  return import("./mse.ts");
}

/** What a policy accepts in an encrypted handshake. */
function cryptoOffer(policy: EncryptionPolicy): CryptoOffer {
  return { rc4: policy !== "disabled", plaintext: policy !== "required" };
}

/**
 * We dialled: our handshake goes out at once (inside MSE's when the policy
 * prefers or requires encryption), theirs must name the same torrent.
 */
export async function negotiateOutgoing(
  stream: Transport,
  opts: OutgoingOptions,
): Promise<Negotiated> {
  const extensions = offeredExtensions(opts);
  const ours = encodeHandshake(opts.infoHash, opts.peerId, extensions);
  const policy = opts.encryption ?? "enabled";
  let prefix: Buffer | undefined;
  let encrypted = false;
  if (policy === "prefer" || policy === "required") {
    const { mseInitiate } = await loadMse();
    const mse = await mseInitiate(stream, opts.infoHash, cryptoOffer(policy), ours, {
      clock: opts.clock ?? realClock,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    stream = mse.stream;
    prefix = mse.received;
    encrypted = mse.encrypted;
  } else {
    stream.write(ours);
  }
  const { handshake, leftover } = await readHandshake(stream, opts, prefix);
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
  // The stream stays paused (readHandshake detached it) while the
  // connection class loads, the first time (connection-loader.ts).
  if (!peerConnectionLoaded()) await loadPeerConnection();
  return { stream, handshake, extensions, leftover, outgoing: true, encrypted };
}

/**
 * They dialled: a plain handshake or an encrypted one, told apart by the
 * first 20 bytes; we answer only once it names a torrent we serve, and only
 * in a way its policy accepts.
 */
export async function negotiateIncoming(
  stream: Transport,
  opts: IncomingOptions,
): Promise<Negotiated> {
  const clock = opts.clock ?? realClock;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy = opts.encryption ?? "enabled";
  const reader = new StreamReader(stream, timeoutMs, clock);
  let first: Buffer;
  try {
    first = Buffer.from(await reader.read(PROTOCOL.length));
  } catch (err) {
    stream.destroy();
    throw err;
  }
  const prefix = Buffer.concat([first, reader.detach()]);
  let encrypted = false;
  let received: Buffer = prefix;
  if (!first.equals(PROTOCOL)) {
    if (policy === "disabled" || !opts.infoHashes) {
      stream.destroy();
      throw new WireError(
        "bad_protocol",
        "the peer does not speak the BitTorrent protocol (bad handshake)",
      );
    }
    const hashes = opts.infoHashes;
    // The stream stays paused (detached above) while mse.ts loads.
    const { mseRespond, req2Hash } = await loadMse();
    const mse = await mseRespond(stream, {
      clock,
      timeoutMs,
      prefix,
      ...(opts.mseKeyPair ? { keyPair: opts.mseKeyPair } : {}),
      findSkey: (req2) => {
        for (const h of hashes()) if (req2Hash(h).equals(req2)) return h;
        return undefined;
      },
      offer: (skey) =>
        cryptoOffer(opts.lookup(Buffer.from(skey) as InfoHash)?.encryption ?? policy),
    });
    stream = mse.stream;
    received = mse.received;
    encrypted = mse.encrypted;
  }
  const { handshake, leftover } = await readHandshake(stream, opts, received);
  let identity: Identity | undefined;
  try {
    identity = opts.lookup(handshake.infoHash);
    if (!identity) {
      throw new PeerError(
        "info_hash_mismatch",
        `the peer is on another torrent (info hash ${handshake.infoHash.toString("hex")}, not one we serve)`,
      );
    }
    if (!encrypted && (identity.encryption ?? policy) === "required") {
      throw new PeerError(
        "encryption_refused",
        "the peer connected in plaintext; encryption is required",
      );
    }
    checkNotSelf(handshake, identity.peerId);
  } catch (err) {
    stream.destroy();
    throw err;
  }
  // Before our handshake goes out, so the peer is not left waiting on a
  // connection not yet there (connection-loader.ts; the first time only).
  if (!peerConnectionLoaded()) await loadPeerConnection();
  const extensions = offeredExtensions(identity);
  stream.write(encodeHandshake(handshake.infoHash, identity.peerId, extensions));
  return { stream, handshake, extensions, leftover, outgoing: false, encrypted };
}

function checkNotSelf(handshake: Handshake, ourId: Uint8Array): void {
  if (handshake.peerId.equals(ourId)) {
    throw new PeerError("self_connection", "connected to self (the peer id is ours)");
  }
}

/**
 * Reads their 68-byte handshake (after `prefix`, bytes already read),
 * refusing a stream that is not BitTorrent on its first byte. Resolves with
 * the stream paused, so that nothing is lost before its next reader
 * listens; on failure the stream is destroyed.
 */
async function readHandshake(
  stream: Transport,
  opts: NegotiateOptions,
  prefix?: Buffer,
): Promise<{ handshake: Handshake; leftover: Buffer }> {
  const reader = new StreamReader(
    stream,
    opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    opts.clock ?? realClock,
    prefix,
  );
  try {
    const pstrlen = await reader.read(1);
    if (pstrlen[0] !== 19) {
      throw new WireError(
        "bad_protocol",
        "the peer does not speak the BitTorrent protocol (bad handshake)",
      );
    }
    const rest = await reader.read(HANDSHAKE_LENGTH - 1);
    const handshake = decodeHandshake(Buffer.concat([pstrlen, rest]));
    return { handshake, leftover: reader.detach() };
  } catch (err) {
    reader.detach();
    stream.destroy();
    throw err;
  }
}
