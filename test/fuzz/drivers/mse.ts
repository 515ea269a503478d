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
 * not served; the remaining bits cut the stream into chunks.
 */
import { createDiffieHellman, createHash } from "node:crypto";
import { createMemoryPipe } from "../../../src/net/index.ts";
import { negotiateIncoming } from "../../../src/peer/index.ts";
import { encodeHandshake, encodeMessage } from "../../../src/wire/index.ts";
import type { Driver } from "../driver.ts";
import { outcome } from "./outcome.ts";

const P = Buffer.from(
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
  "hex",
);
const SERVED = Buffer.alloc(20, 0x33);
const UNSERVED = Buffer.alloc(20, 0x44);
const OUR_ID = Buffer.from("-SH0100-responder000", "latin1");
const THEIR_ID = Buffer.from("-XX0100-initiator000", "latin1");

function sha1(...parts: (string | Uint8Array)[]): Buffer {
  const h = createHash("sha1");
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RC4 with the first 1024 bytes of keystream dropped, as MSE uses it. */
function rc4Drop1024(key: Buffer, data: Buffer): Buffer {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  let i = 0;
  let j = 0;
  for (let n = -1024; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    if (n >= 0) out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

function sendChunked(to: { write(b: Buffer): boolean }, bytes: Buffer, step: number): void {
  for (let at = 0; at < bytes.length; at += step) to.write(bytes.subarray(at, at + step));
}

/** Made once: making a DiffieHellman object checks the prime, which is slow. */
const initiator = createDiffieHellman(P, 2);

/** Event-loop turns to wait for the responder before closing the stream. */
const SETTLE_TURNS = 40;

/**
 * Plays the initiator; resolves with negotiateIncoming's outcome. Once
 * everything is sent, the stream stays open for a few event-loop turns (a
 * complete handshake is answered then), then closes, as a peer that has
 * nothing more to say does, so that an incomplete one ends without waiting
 * for the handshake timeout.
 */
async function exchange(input: Buffer): Promise<string> {
  const mode = input[0] ?? 0;
  const step = 1 + ((mode >> 3) & 0x1f) * 16;
  const rest = input.subarray(1);
  const [them, us] = createMemoryPipe();
  let settled = false;
  const result = negotiateIncoming(us, {
    timeoutMs: 5_000,
    encryption: "enabled",
    lookup: (hash) =>
      hash.equals(SERVED)
        ? { peerId: OUR_ID, encryption: mode & 2 ? "required" : "enabled" }
        : undefined,
    infoHashes: () => [SERVED],
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
    initiator.setPrivateKey(Buffer.alloc(20, 0x5c));
    const ya = Buffer.alloc(96);
    const pub = initiator.generateKeys();
    pub.copy(ya, 96 - pub.length);
    them.write(ya);
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 96) return;
      them.off("data", onData);
      const secret = Buffer.alloc(96);
      initiator.setPrivateKey(Buffer.alloc(20, 0x5c));
      const s = initiator.computeSecret(got.subarray(0, 96));
      s.copy(secret, 96 - s.length);
      const skey = mode & 4 ? UNSERVED : SERVED;
      const req2 = sha1("req2", skey);
      const req3 = sha1("req3", secret);
      for (let i = 0; i < 20; i++) req2[i] = req2[i]! ^ req3[i]!;
      them.write(Buffer.concat([sha1("req1", secret), req2]));
      sendChunked(them, rc4Drop1024(sha1("keyA", secret, skey), rest), step);
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
    ];
  },
  maxLength: 4096,
  run: exchange,
};
