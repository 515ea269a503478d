/**
 * Message Stream Encryption (MSE, also "Protocol Encryption"; the
 * Vuze/libtorrent specification), both sides of its handshake:
 *
 *   1 A->B: Ya, PadA
 *   2 B->A: Yb, PadB
 *   3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
 *   5 A->B: ENCRYPT2(payload)
 *
 * Y = 2^X mod P (a 768-bit prime, X 160 random bits), S the shared secret,
 * SKEY the info hash (which lets a receiver serving many torrents route
 * the connection), VC eight zero bytes, HASH SHA-1, ENCRYPT RC4-drop1024
 * keyed HASH('keyA', S, SKEY) from A and HASH('keyB', S, SKEY) from B.
 * crypto_provide/select: 1 plaintext, 2 RC4 (ENCRYPT2 is then RC4 or
 * nothing). IA, the initiator's first payload bytes, carries its BEP 3
 * handshake so that it costs no extra round trip.
 */
import { hash as cryptoHash, randomFillSync } from "node:crypto";
import type { Transport } from "../net/index.ts";
import { type Clock, realClock } from "../util/index.ts";
import { EncryptedTransport } from "./encrypted-transport.ts";
import { PeerError } from "./errors.ts";
import { KEY_LENGTH, type MseKeyPair, mseKeyPair } from "./mse-key-pair.ts";
import { type Rc4Implementation, rc4, type StreamCipher } from "./rc4.ts";
import { StreamReader } from "./stream-reader.ts";

/** The spec bounds every pad (PadA…PadD) to 512 bytes. */
const MAX_PAD = 512;
const VC = Buffer.alloc(8);
/** IA carries a BEP 3 handshake (68 bytes), perhaps a message or two more: more is refused. */
const MAX_IA = 1024;

export const CRYPTO_PLAINTEXT = 0x01;
export const CRYPTO_RC4 = 0x02;

/** What a side accepts: plaintext after the handshake, RC4, or both. */
export interface CryptoOffer {
  plaintext: boolean;
  rc4: boolean;
}

export interface MseResult {
  /** The payload stream: encrypted (RC4 selected) or the original stream. */
  stream: Transport;
  /** RC4 was selected (else plaintext after the obfuscated handshake). */
  encrypted: boolean;
  /** Payload bytes already received, decrypted (for the receiver: IA first). */
  received: Buffer;
}

export interface MseOptions {
  clock?: Clock;
  /** The whole handshake must be done within this long. */
  timeoutMs: number;
  /** Which RC4 (default: the fastest here; tests choose). */
  rc4Implementation?: Rc4Implementation;
  /**
   * Our Diffie-Hellman key pair (default: a fresh one per handshake). The
   * fuzzer passes a fixed one, so that an execution costs no modular
   * exponentiation it does not need.
   */
  keyPair?: MseKeyPair;
}

/** The spec's labels, as bytes once. */
const REQ1 = Buffer.from("req1");
const REQ2 = Buffer.from("req2");
const REQ3 = Buffer.from("req3");
const KEY_A = Buffer.from("keyA");
const KEY_B = Buffer.from("keyB");

function hash(...parts: Uint8Array[]): Buffer {
  // One-shot hashing of the joined parts: half the cost of a Hash object's
  // update and digest calls for inputs this small.
  return cryptoHash("sha1", Buffer.concat(parts), "buffer");
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function provideBits(offer: CryptoOffer): number {
  return (offer.plaintext ? CRYPTO_PLAINTEXT : 0) | (offer.rc4 ? CRYPTO_RC4 : 0);
}

/** S from their Y, a refusal of a bad Y being the peer's fault. */
function sharedSecret(keys: MseKeyPair, theirs: Buffer): Buffer {
  try {
    return keys.secret(theirs);
  } catch (err) {
    throw new PeerError("mse_failed", "the peer's MSE public key is invalid", { cause: err });
  }
}

/**
 * Random bytes for padding, taken from a pool refilled 8 KiB at a time: a
 * random length and bytes per handshake cost two calls into OpenSSL's
 * generator otherwise, a measurable share of a handshake's CPU.
 */
const padPool = Buffer.allocUnsafe(8192);
let padPoolUsed = padPool.length;

function randomFromPool(n: number): Buffer {
  if (padPoolUsed + n > padPool.length) {
    randomFillSync(padPool);
    padPoolUsed = 0;
  }
  const out = Buffer.from(padPool.subarray(padPoolUsed, padPoolUsed + n));
  padPoolUsed += n;
  return out;
}

/** PadA or PadB: 0 to 512 random bytes (the bias of a 16-bit value mod 513 does not matter here). */
function pad(): Buffer {
  return randomFromPool(randomFromPool(2).readUInt16BE(0) % (MAX_PAD + 1));
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function payloadStream(
  stream: Transport,
  encrypted: boolean,
  encrypt: StreamCipher,
  decrypt: StreamCipher,
  rest: Buffer,
): { stream: Transport; rest: Buffer } {
  if (!encrypted) return { stream, rest };
  decrypt.updateInPlace(rest);
  return { stream: new EncryptedTransport(stream, encrypt, decrypt), rest };
}

/**
 * We dialled (A). `initialPayload` (our BEP 3 handshake) goes in IA. Fails
 * with PeerError "mse_failed" when the peer does not speak MSE (it closed,
 * or the sync pattern never came) or selects nothing we offered.
 */
export async function mseInitiate(
  stream: Transport,
  skey: Uint8Array,
  offer: CryptoOffer,
  initialPayload: Uint8Array,
  opts: MseOptions,
): Promise<MseResult> {
  const keys = opts.keyPair ?? mseKeyPair();
  stream.write(Buffer.concat([keys.publicKey, pad()]));
  const reader = new StreamReader(stream, opts.timeoutMs, opts.clock ?? realClock);
  try {
    const s = sharedSecret(keys, await reader.read(KEY_LENGTH));
    const impl = opts.rc4Implementation ?? "auto";
    const encrypt = rc4(hash(KEY_A, s, skey), impl);
    const decrypt = rc4(hash(KEY_B, s, skey), impl);
    stream.write(
      Buffer.concat([
        hash(REQ1, s),
        xor(hash(REQ2, skey), hash(REQ3, s)),
        encrypt.update(
          Buffer.concat([VC, u32(provideBits(offer)), u16(0), u16(initialPayload.length)]),
        ),
        encrypt.update(initialPayload),
      ]),
    );
    // B's VC, encrypted, follows PadB: find it, the decryptor then past it.
    const vc = decrypt.update(VC);
    await reader.skipPast(
      vc,
      MAX_PAD,
      () => new PeerError("mse_failed", "the peer's MSE reply has no verification constant"),
    );
    const head = decrypt.update(await reader.read(6));
    const select = head.readUInt32BE(0);
    const padLength = head.readUInt16BE(4);
    if (padLength > MAX_PAD)
      throw new PeerError("mse_failed", "the peer's MSE padding is too long");
    decrypt.update(await reader.read(padLength));
    const encrypted = select === CRYPTO_RC4 && offer.rc4;
    if (!encrypted && !(select === CRYPTO_PLAINTEXT && offer.plaintext)) {
      throw new PeerError(
        "mse_failed",
        `the peer selected an encryption we did not offer (${select})`,
      );
    }
    const out = payloadStream(stream, encrypted, encrypt, decrypt, reader.detach());
    return { stream: out.stream, encrypted, received: out.rest };
  } catch (err) {
    reader.detach();
    stream.destroy();
    throw err instanceof PeerError
      ? err
      : new PeerError("mse_failed", `MSE handshake failed: ${(err as Error).message}`);
  }
}

export interface MseRespondOptions extends MseOptions {
  /** The bytes already read from the stream (the start of Ya). */
  prefix: Buffer;
  /** The info hash whose HASH('req2', info hash) this is, if we serve it. */
  findSkey(req2: Buffer): Uint8Array | undefined;
  /** What we accept for this torrent. */
  offer(skey: Uint8Array): CryptoOffer;
}

export interface MseResponse extends MseResult {
  /** The torrent the initiator named (SKEY). */
  infoHash: Buffer;
}

const req2Hashes = new WeakMap<Uint8Array, Buffer>();

/** HASH('req2', info hash): what an initiator sends, masked, to name its torrent. */
export function req2Hash(infoHash: Uint8Array): Buffer {
  // Every encrypted incoming connection looks through every torrent: hash each once.
  let h = req2Hashes.get(infoHash);
  if (!h) {
    h = hash(REQ2, infoHash);
    req2Hashes.set(infoHash, h);
  }
  return h;
}

/** They dialled (B) and their first bytes are not a plaintext BEP 3 handshake. */
export async function mseRespond(stream: Transport, opts: MseRespondOptions): Promise<MseResponse> {
  const reader = new StreamReader(stream, opts.timeoutMs, opts.clock ?? realClock, opts.prefix);
  try {
    const keys = opts.keyPair ?? mseKeyPair();
    const s = sharedSecret(keys, await reader.read(KEY_LENGTH));
    stream.write(Buffer.concat([keys.publicKey, pad()]));
    await reader.skipPast(
      hash(REQ1, s),
      MAX_PAD,
      () => new PeerError("mse_failed", "not a BitTorrent handshake, plain or encrypted"),
    );
    const req2 = xor(await reader.read(20), hash(REQ3, s));
    const skey = opts.findSkey(req2);
    if (!skey)
      throw new PeerError("info_hash_mismatch", "the peer is on a torrent we do not serve");
    const impl = opts.rc4Implementation ?? "auto";
    const decrypt = rc4(hash(KEY_A, s, skey), impl);
    const encrypt = rc4(hash(KEY_B, s, skey), impl);
    const head = decrypt.update(await reader.read(14));
    if (!head.subarray(0, 8).equals(VC)) {
      throw new PeerError("mse_failed", "the peer's MSE verification constant is wrong");
    }
    const provide = head.readUInt32BE(8);
    const padLength = head.readUInt16BE(12);
    if (padLength > MAX_PAD)
      throw new PeerError("mse_failed", "the peer's MSE padding is too long");
    decrypt.update(await reader.read(padLength));
    const iaLength = decrypt.update(await reader.read(2)).readUInt16BE(0);
    if (iaLength > MAX_IA)
      throw new PeerError("mse_failed", "the peer's MSE initial payload is too long");
    const ia = decrypt.update(await reader.read(iaLength));
    const ours = opts.offer(skey);
    // RC4 when both allow it (the stronger one), else plaintext when both do.
    const select =
      ours.rc4 && provide & CRYPTO_RC4
        ? CRYPTO_RC4
        : ours.plaintext && provide & CRYPTO_PLAINTEXT
          ? CRYPTO_PLAINTEXT
          : 0;
    if (select === 0) {
      throw new PeerError("encryption_refused", "the peer offers no encryption we accept");
    }
    stream.write(encrypt.update(Buffer.concat([VC, u32(select), u16(0)])));
    const encrypted = select === CRYPTO_RC4;
    const out = payloadStream(stream, encrypted, encrypt, decrypt, reader.detach());
    return {
      stream: out.stream,
      encrypted,
      received: Buffer.concat([ia, out.rest]),
      infoHash: Buffer.from(skey),
    };
  } catch (err) {
    reader.detach();
    stream.destroy();
    throw err instanceof PeerError
      ? err
      : new PeerError("mse_failed", `MSE handshake failed: ${(err as Error).message}`);
  }
}
