/**
 * BEP 10 on one connection: our extended handshake from the registry, their
 * extension ids (merged over every extended handshake they send), and their
 * messages handed to the registered handlers by our id.
 */
import {
  decodeExtendedHandshake,
  type ExtendedHandshake,
  type ExtendedHandshakeFields,
  encodeExtendedHandshake,
} from "../wire/index.ts";
import type { ExtensionPeer, ExtensionRegistry } from "./extension-registry.ts";

export class ExtendedState {
  readonly registry: ExtensionRegistry;
  /** Their ids: extension name → the id to send it with. */
  readonly theirIds = new Map<string, number>();
  #theirs: ExtendedHandshake | undefined;

  constructor(registry: ExtensionRegistry) {
    this.registry = registry;
  }

  /** Their latest extended handshake. */
  get theirs(): ExtendedHandshake | undefined {
    return this.#theirs;
  }

  /** Ours: exactly the registered extensions, metadata_size once known, and `fields`. */
  ourHandshake(fields: Omit<ExtendedHandshakeFields, "m" | "metadataSize">): Buffer {
    return encodeExtendedHandshake({
      ...fields,
      m: this.registry.m,
      metadataSize: this.registry.metadataSize,
    });
  }

  /** Reads theirs (a WireError if it is not a dictionary). */
  onHandshake(payload: Buffer): ExtendedHandshake {
    const h = decodeExtendedHandshake(payload);
    // BEP 10: later handshakes update `m` additively; id 0 disables.
    for (const [name, n] of h.m) {
      if (n === 0) this.theirIds.delete(name);
      else this.theirIds.set(name, n);
    }
    this.#theirs = h;
    return h;
  }

  /** Tells every extension of their handshake; stops if one closes the connection. */
  tellHandshake(peer: ExtensionPeer & { readonly closed: boolean }, h: ExtendedHandshake): void {
    for (const ext of this.registry.extensions) {
      if (peer.closed) return;
      ext.handler.onHandshake?.(peer, h);
    }
  }

  /** A message they sent with our id `id`; one we never gave is ignored (BEP 10). */
  dispatch(peer: ExtensionPeer, id: number, payload: Buffer): void {
    this.registry.get(id)?.handler.onMessage(peer, payload);
  }

  /** The connection closed: extensions that saw it open are told. */
  closed(peer: ExtensionPeer, onError: (err: unknown) => void): void {
    if (!this.#theirs) return;
    for (const ext of this.registry.extensions) {
      try {
        ext.handler.onClose?.(peer);
      } catch (err) {
        onError(err);
      }
    }
  }
}
