/**
 * BEP 10 extensions by name: each registers its handler and gets our local
 * id for it; the extended handshake advertises exactly what is registered
 * (`m`) and, once known, BEP 9's `metadata_size`. A peer's messages are
 * dispatched by our id; we send with the peer's id for the name, read from
 * its own handshake (BEP 10: the ids are per direction).
 *
 * One registry serves every connection of a torrent (ut_metadata, ut_pex
 * are per torrent); a change (a new extension, metadata_size learnt) is
 * announced to open connections with a new extended handshake, which BEP 10
 * allows at any time.
 */
import { EventEmitter } from "node:events";
import type { ExtendedHandshake } from "../wire/index.ts";
import { PeerError } from "./errors.ts";

/** What an extension's handler may see and do of a connection. */
export interface ExtensionPeer {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly peerId: Buffer;
  /** Their latest extended handshake (`m` merged over every one they sent). */
  readonly peerExtendedHandshake: ExtendedHandshake | undefined;
  /** They named `name` in their extended handshake. */
  supportsExtension(name: string): boolean;
  /** Sends `payload` with their id for `name`; false when they do not speak it or we closed. */
  sendExtension(name: string, payload: Uint8Array): boolean;
  close(reason?: string): void;
}

export interface ExtensionHandler {
  /**
   * A message of this extension (its payload, owned by the handler). A
   * ShoalError thrown here closes the connection as a protocol violation.
   */
  onMessage(peer: ExtensionPeer, payload: Buffer): void;
  /** Their extended handshake arrived (again, when they update it). */
  onHandshake?(peer: ExtensionPeer, handshake: ExtendedHandshake): void;
  /** A connection that had sent its extended handshake closed. */
  onClose?(peer: ExtensionPeer): void;
}

export interface Extension {
  /** The name in `m`, e.g. "ut_metadata" (BEP 9), "ut_pex" (BEP 11). */
  name: string;
  handler: ExtensionHandler;
}

export interface ExtensionRegistryEvents {
  /** What the extended handshake advertises changed. */
  change: [];
}

/** BEP 10: an extension id is one byte, and 0 is the handshake itself. */
const MAX_ID = 255;

export class ExtensionRegistry extends EventEmitter<ExtensionRegistryEvents> {
  readonly #byId: (Extension | undefined)[] = [undefined];
  readonly #ids = new Map<string, number>();
  #metadataSize: number | undefined;

  constructor() {
    super();
    // Every connection of a torrent listens: no leak warning at ten.
    this.setMaxListeners(0);
  }

  /** Adds an extension; returns our id for it (what peers send it with). */
  register(extension: Extension): number {
    if (this.#ids.has(extension.name)) {
      throw new PeerError(
        "duplicate_extension",
        `the extension ${extension.name} is already registered`,
      );
    }
    const id = this.#byId.length;
    if (id > MAX_ID) throw new RangeError(`no extension id left for ${extension.name}`);
    this.#byId.push(extension);
    this.#ids.set(extension.name, id);
    this.emit("change");
    return id;
  }

  /** The extension peers send with our id `id`. */
  get(id: number): Extension | undefined {
    return this.#byId[id];
  }

  /** Our id for `name`. */
  idOf(name: string): number | undefined {
    return this.#ids.get(name);
  }

  get extensions(): Extension[] {
    return this.#byId.filter((e) => e !== undefined);
  }

  /** BEP 10 `m`: every registered name → our id for it. */
  get m(): Record<string, number> {
    return Object.fromEntries(this.#ids);
  }

  /** BEP 9 `metadata_size`: the info dictionary's length, once we have it. */
  get metadataSize(): number | undefined {
    return this.#metadataSize;
  }

  set metadataSize(size: number | undefined) {
    if (size === this.#metadataSize) return;
    if (size !== undefined && (!Number.isSafeInteger(size) || size <= 0)) {
      throw new RangeError(`bad metadata size ${size}`);
    }
    this.#metadataSize = size;
    this.emit("change");
  }
}
