/**
 * MSE's Diffie-Hellman key pairs (the Vuze/libtorrent specification: Y =
 * 2^X mod P, P a 768-bit prime, X 160 random bits). Apart from the handshake
 * (mse.ts) so that a session can hold its key pair and the peer module's
 * index can name it without loading the handshake, its RC4 and WebAssembly
 * at every process start: negotiate.ts loads mse.ts with the first encrypted
 * connection.
 */
import { createDiffieHellman, type DiffieHellman, randomBytes } from "node:crypto";

const P = Buffer.from(
  "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
  "hex",
);
/** Bytes of a public key (Y) and of the shared secret. */
export const KEY_LENGTH = 96;

/** One side's Diffie-Hellman key pair in MSE's group. */
export interface MseKeyPair {
  /** Y, 96 bytes big-endian. */
  publicKey: Buffer;
  /** S from the other side's Y (96 bytes); throws on a Y the group refuses. */
  secret(theirs: Buffer): Buffer;
}

/**
 * One Diffie-Hellman object for every handshake: making one checks the
 * prime, tens of milliseconds of CPU, which a peer could make us spend per
 * connection it opens. Each use sets its own private key first (the calls
 * are synchronous, so handshakes in flight do not mix).
 */
let group: DiffieHellman | undefined;

/**
 * A Diffie-Hellman key pair in MSE's group: `privateKey` 160 bits (20
 * bytes), random unless given, as the spec asks.
 */
export function mseKeyPair(privateKey: Buffer = randomBytes(20)): MseKeyPair {
  group ??= createDiffieHellman(P, 2);
  const dh = group;
  dh.setPrivateKey(privateKey);
  dh.generateKeys();
  return {
    publicKey: leftPadded(dh.getPublicKey()),
    secret(theirs: Buffer): Buffer {
      dh.setPrivateKey(privateKey);
      return leftPadded(dh.computeSecret(theirs));
    },
  };
}

/** A number's bytes, big-endian in KEY_LENGTH bytes (OpenSSL drops leading zeros). */
function leftPadded(n: Buffer): Buffer {
  const out = Buffer.alloc(KEY_LENGTH);
  n.copy(out, KEY_LENGTH - n.length);
  return out;
}
