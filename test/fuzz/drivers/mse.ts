/**
 * The receiving side of a connection before BEP 3 takes over: plaintext
 * handshakes and Message Stream Encryption (src/peer/mse.ts through
 * negotiateIncoming), fed over an in-memory pipe. Random bytes alone never
 * get past MSE's Diffie-Hellman step, so the input's first byte chooses:
 *
 * - bit 0 clear: the rest is sent as is (a plain handshake, or garbage);
 * - bit 0 set: the fuzzer plays an honest initiator up to the encrypted part
 *   (Ya, then HASH('req1', S) and the masked SKEY), and the rest is what it
 *   encrypts with RC4 keyA: VC, crypto_provide, PadC, IA, and the stream.
 *
 * Bit 1 makes the torrent require encryption, bit 2 names a torrent that is
 * not served; the remaining five bits (k) cut the stream into chunks: none
 * for 0, one byte each for 1, else 64 × (k - 1) bytes (a chunk per byte
 * costs an event per byte, so only one input in 32 pays it).
 *
 * An execution must cost tens of microseconds for a million of them in a
 * minute, so nothing is computed that does not depend on the input: both
 * sides' Diffie-Hellman key pairs are fixed (the responder's secret for the
 * initiator's Y is remembered, as are those of the last garbage Ys), the
 * initiator's hashes and RC4 keystream are computed once, the pipe
 * delivers on microtasks, so an exchange takes no event-loop turns, and the
 * handshake's deadline is on a clock that does not move (the driver closes
 * every stream itself, long before a real one would expire).
 */
import { createHash } from "node:crypto";
import { loadMemoryNetwork } from "../../../src/net/index.ts";
import { type MseKeyPair, mseKeyPair, negotiateIncoming } from "../../../src/peer/index.ts";
import { FakeClock } from "../../../src/util/index.ts";
import { encodeHandshake, encodeMessage } from "../../../src/wire/index.ts";
import type { Driver } from "../driver.ts";
import { outcome } from "./outcome.ts";

const { createMemoryPipe } = await loadMemoryNetwork();

const SERVED = Buffer.alloc(20, 0x33);
const UNSERVED = Buffer.alloc(20, 0x44);
const OUR_ID = Buffer.from("-SH0100-responder000", "latin1");
const THEIR_ID = Buffer.from("-XX0100-initiator000", "latin1");
/** Past IA (1 + 14 + 512 + 2 + 1024 bytes at most) the responder only buffers: more tests nothing. */
const MAX_LENGTH = 2048;
const clock = new FakeClock();

function sha1(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash("sha1");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RC4's keystream with the first 1024 bytes dropped, as MSE uses it (written apart from src/peer). */
function rc4Drop1024(key: Buffer, length: number): Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(length);
  let i = 0;
  let j = 0;
  for (let n = -1024; n < length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    if (n >= 0) out[n] = s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

const initiator = mseKeyPair(Buffer.alloc(20, 0x5c));
/**
 * The responder's private key is small (16 of its 160 bits set): its
 * secret for a garbage Y, computed for every new one, then costs a tenth of
 * a random key's exponentiation. Secrecy is no concern here.
 */
const responder = mseKeyPair(Buffer.concat([Buffer.alloc(18), Buffer.from([0xc5, 0x3b])]));
const SECRET = initiator.secret(responder.publicKey);

/** Garbage Ys whose secret is remembered (the pool's inputs recur), at most. */
const MAX_REMEMBERED = 1024;
const remembered = new Map<string, Buffer>();

/** The responder's fixed pair: its secret for our initiator's Y is known, others cost once. */
const responderKeys: MseKeyPair = {
  publicKey: responder.publicKey,
  secret(theirs) {
    if (theirs.equals(initiator.publicKey)) return SECRET;
    const key = theirs.toString("latin1");
    let s = remembered.get(key);
    if (!s) {
      s = responder.secret(theirs);
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      remembered.set(key, s);
    }
    return s;
  },
};

/** What the initiator sends after Ya for each SKEY: its sync hash and masked SKEY, and its keystream. */
const initiatorSide = new Map(
  [SERVED, UNSERVED].map((skey) => {
    const req2 = sha1("req2", skey);
    const req3 = sha1("req3", SECRET);
    for (let i = 0; i < 20; i++) req2[i] = req2[i]! ^ req3[i]!;
    const head = Buffer.concat([sha1("req1", SECRET), req2]);
    return [skey, { head, keystream: rc4Drop1024(sha1("keyA", SECRET, skey), MAX_LENGTH) }];
  }),
);

function encrypted(rest: Buffer, keystream: Buffer): Buffer {
  const out = Buffer.allocUnsafe(rest.length);
  for (let i = 0; i < rest.length; i++) out[i] = rest[i]! ^ keystream[i]!;
  return out;
}

function sendChunked(to: { write(b: Buffer): boolean }, bytes: Buffer, step: number): void {
  for (let at = 0; at < bytes.length; at += step) to.write(bytes.subarray(at, at + step));
}

/** Event-loop turns to wait for the responder before closing the stream (microtasks run first). */
const SETTLE_TURNS = 1;

/**
 * Plays the initiator; resolves with negotiateIncoming's outcome. Once
 * everything is sent, the stream stays open while the responder works (a
 * complete handshake is answered then), then closes, as a peer that has
 * nothing more to say does, so that an incomplete one ends without waiting
 * for the handshake timeout.
 */
async function exchange(input: Buffer): Promise<string> {
  const mode = input[0] ?? 0;
  const k = (mode >> 3) & 0x1f;
  const step = k === 0 ? MAX_LENGTH : k === 1 ? 1 : (k - 1) * 64;
  const rest = input.subarray(1);
  const [them, us] = createMemoryPipe({ delivery: "microtask" });
  let settled = false;
  const result = negotiateIncoming(us, {
    clock,
    timeoutMs: 5_000,
    encryption: "enabled",
    lookup: (hash) =>
      hash.equals(SERVED)
        ? { peerId: OUR_ID, encryption: mode & 2 ? "required" : "enabled" }
        : undefined,
    infoHashes: () => [SERVED],
    mseKeyPair: responderKeys,
  })
    .then(
      (n) => {
        n.stream.destroy();
        return n.encrypted ? "encrypted" : "plaintext";
      },
      (err: unknown) =>
        outcome(() => {
          throw err;
        }),
    )
    .finally(() => {
      settled = true;
    });
  const sent = new Promise<void>((resolve) => {
    if ((mode & 1) === 0) {
      sendChunked(them, rest, step);
      resolve();
      return;
    }
    them.write(initiator.publicKey);
    let got = 0;
    const onData = (chunk: Buffer) => {
      // Yb (the responder's fixed key), then its padding: the secret is known.
      got += chunk.length;
      if (got < 96) return;
      them.off("data", onData);
      const side = initiatorSide.get(mode & 4 ? UNSERVED : SERVED)!;
      them.write(side.head);
      sendChunked(them, encrypted(rest, side.keystream), step);
      resolve();
    };
    them.on("data", onData);
    them.on("close", () => resolve());
  });
  await Promise.race([sent, result]);
  for (let i = 0; i < SETTLE_TURNS && !settled; i++) await new Promise((r) => setImmediate(r));
  them.end();
  try {
    return await result;
  } finally {
    them.destroy();
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export const mseDriver: Driver = {
  name: "mse-handshake",
  seeds() {
    const handshake = encodeHandshake(SERVED, THEIR_ID, { extended: true, fast: true });
    const after = Buffer.concat([
      encodeMessage({ type: "have-all" }),
      encodeMessage({ type: "interested" }),
    ]);
    const encryptedPart = (provide: number, padC: number) =>
      Buffer.concat([
        Buffer.alloc(8),
        Buffer.from([0, 0, 0, provide]),
        u16(padC),
        Buffer.alloc(padC, 0xaa),
        u16(handshake.length),
        handshake,
        after,
      ]);
    return [
      Buffer.concat([Buffer.from([0x00]), handshake, after]),
      Buffer.concat([Buffer.from([0x01]), encryptedPart(3, 0)]),
      Buffer.concat([Buffer.from([0x13]), encryptedPart(2, 17)]),
      Buffer.concat([Buffer.from([0x03]), encryptedPart(1, 512)]),
      // Delivered a byte at a time (k = 1).
      Buffer.concat([Buffer.from([0x09]), encryptedPart(2, 5)]),
    ];
  },
  maxLength: MAX_LENGTH,
  run: exchange,
};
