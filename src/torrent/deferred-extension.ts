/**
 * A BEP 10 extension's handler made by its first call rather than when the
 * torrent's registry is: the registry names its extensions in the
 * handshake of every connection, while the handlers (ut_metadata's
 * exchange, ut_pex's) live with the swarm's modules (swarm-loader.ts). A
 * call only comes from a connection, and a connection only from the swarm,
 * so by then the handler can be made.
 */
import type { ExtensionHandler, ExtensionPeer } from "../peer/index.ts";
import type { ExtendedHandshake } from "../wire/index.ts";

export class DeferredExtension implements ExtensionHandler {
  readonly #make: () => ExtensionHandler;
  #made: ExtensionHandler | undefined;

  constructor(make: () => ExtensionHandler) {
    this.#make = make;
  }

  get #handler(): ExtensionHandler {
    this.#made ??= this.#make();
    return this.#made;
  }

  onMessage(peer: ExtensionPeer, payload: Buffer): void {
    this.#handler.onMessage(peer, payload);
  }

  onHandshake(peer: ExtensionPeer, handshake: ExtendedHandshake): void {
    this.#handler.onHandshake?.(peer, handshake);
  }

  onClose(peer: ExtensionPeer): void {
    // Never made: nothing to close.
    this.#made?.onClose?.(peer);
  }
}
