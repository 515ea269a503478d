import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "./bytes.ts";

/**
 * Branded ids: a 20-byte Buffer that the type system will not mix up with
 * another 20-byte Buffer. Hex appears only at the edges (CLI, JSON, logs).
 */
export type InfoHash = Buffer & { readonly __brand: "InfoHash" };
export type PeerId = Buffer & { readonly __brand: "PeerId" };
export type PieceIndex = number & { readonly __brand: "PieceIndex" };

export const INFO_HASH_LENGTH = 20;
export const PEER_ID_LENGTH = 20;

export function asInfoHash(bytes: Buffer): InfoHash {
  if (bytes.length !== INFO_HASH_LENGTH) {
    throw new RangeError(`an info hash is 20 bytes, got ${bytes.length}`);
  }
  return bytes as InfoHash;
}

/** Parses a 40-character hex info hash; undefined if it is not one. */
export function infoHashFromHex(text: string): InfoHash | undefined {
  const bytes = fromHex(text);
  return bytes && bytes.length === INFO_HASH_LENGTH ? (bytes as InfoHash) : undefined;
}

export function infoHashHex(hash: InfoHash): string {
  return toHex(hash);
}

export function asPeerId(bytes: Buffer): PeerId {
  if (bytes.length !== PEER_ID_LENGTH) {
    throw new RangeError(`a peer id is 20 bytes, got ${bytes.length}`);
  }
  return bytes as PeerId;
}

/** Azureus-style client prefix (BEP 20): `-SH0100-` for shoal 0.1.0. */
export const PEER_ID_PREFIX = "-SH0100-";

/** A fresh peer id: the client prefix then 12 random bytes. */
export function generatePeerId(random: (n: number) => Buffer = randomBytes): PeerId {
  return Buffer.concat([Buffer.from(PEER_ID_PREFIX, "latin1"), random(12)]) as PeerId;
}
