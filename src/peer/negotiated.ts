/**
 * What a negotiation (negotiate.ts) hands on. Apart from it so that the
 * connection's modules, loaded later (connection-loader.ts), name this type
 * without importing the negotiation that loads them.
 */
import type { Transport } from "../net/index.ts";
import type { Extensions, Handshake } from "../wire/index.ts";

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
  /** The payload is RC4-encrypted (MSE); false for plaintext, obfuscated handshake or not. */
  encrypted: boolean;
}
