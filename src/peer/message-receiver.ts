/**
 * The peer's messages, each applied to the connection's parts: choke and
 * interest, their pieces, our requests answered or rejected, their requests
 * to us (BEP 3), the fast extension's messages (BEP 6), DHT ports (BEP 5)
 * and BEP 10 extension messages. A violation throws a PeerError, which the
 * connection turns into a close.
 */

import type { Logger } from "../util/index.ts";
import type { BlockRef, Message } from "../wire/index.ts";
import { MessageId } from "../wire/index.ts";
import type { ChokeState } from "./choke-state.ts";
import type { Downloader } from "./downloader.ts";
import { PeerError } from "./errors.ts";
import type { ExtendedState } from "./extended-state.ts";
import type { ExtensionPeer } from "./extension-registry.ts";
import type { PieceGeometry } from "./geometry.ts";
import type { OurPieces } from "./our-pieces.ts";
import type { PeerPieces, PiecesUpdate } from "./peer-pieces.ts";
import type { PeerConnectionEvents } from "./types.ts";
import type { Uploader } from "./uploader.ts";

/** The connection as its messages see it. */
export interface ReceivingPeer extends ExtensionPeer {
  readonly closed: boolean;
  emit<K extends keyof PeerConnectionEvents>(event: K, ...args: PeerConnectionEvents[K]): boolean;
}

export interface ReceiverParts {
  readonly peer: ReceivingPeer;
  readonly log: Logger;
  /** Both sides speak BEP 6 / BEP 10. */
  readonly fast: boolean;
  readonly extended: boolean;
  readonly chokes: ChokeState;
  readonly theirPieces: PeerPieces;
  readonly ourPieces: OurPieces;
  readonly downloader: Downloader;
  readonly uploader: Uploader;
  readonly ext: ExtendedState;
  /** Known once the torrent's metadata is. */
  geometry(): PieceGeometry | undefined;
  /** Requests, cancels or rejects for several blocks, in one write. */
  writeBlocks(id: number, refs: readonly BlockRef[]): void;
}

export class MessageReceiver {
  readonly #p: ReceiverParts;

  constructor(parts: ReceiverParts) {
    this.#p = parts;
  }

  receive(m: Message): void {
    const p = this.#p;
    switch (m.type) {
      case "keep-alive":
      case "unknown": // BEP 3: ignore what we do not know
        return;
      case "choke": {
        p.chokes.peerChoking = true;
        p.peer.emit("choke", p.downloader.onChoke(p.fast));
        return;
      }
      case "unchoke":
        p.chokes.peerChoking = false;
        p.peer.emit("unchoke");
        p.downloader.pump();
        return;
      case "interested":
      case "not-interested":
        p.chokes.peerInterested = m.type === "interested";
        p.peer.emit(m.type);
        return;
      case "have":
        if (p.theirPieces.onHave(m.index)) p.peer.emit("have", m.index);
        return;
      case "bitfield":
        this.pieces(p.theirPieces.onBitfield(m.bitfield));
        return;
      case "have-all":
      case "have-none":
        this.#requireFast(m.type);
        this.pieces(p.theirPieces.onHaveAll(m.type === "have-all"));
        return;
      case "request":
        this.#onRequest(m);
        return;
      case "piece":
        if (p.downloader.onPiece(m.index, m.begin, m.block.length)) {
          p.peer.emit("block", { index: m.index, begin: m.begin, data: m.block });
          p.downloader.schedulePump();
        }
        return;
      case "cancel":
        p.uploader.onCancel(m);
        return;
      case "reject":
        this.#requireFast("reject");
        if (p.downloader.onReject(m)) {
          p.peer.emit("reject", { index: m.index, begin: m.begin, length: m.length });
          p.downloader.pump();
        }
        return;
      case "suggest":
      case "allowed-fast":
        // Advisory (BEP 6): we neither prefer suggested pieces nor request
        // allowed-fast ones while choked. Illegal only without the extension.
        this.#requireFast(m.type);
        return;
      case "port":
        p.peer.emit("port", m.port);
        return;
      case "extended":
        this.#onExtended(m.id, m.payload);
        return;
    }
  }

  /** What the peer said of its pieces, as events (a late bitfield is read as haves). */
  pieces(update: PiecesUpdate): void {
    const peer = this.#p.peer;
    if (update?.bitfield) peer.emit("bitfield", update.bitfield);
    else if (update?.haves) {
      this.#p.log.debug("late bitfield read as haves", { haves: update.haves.length });
      for (const i of update.haves) if (!peer.closed) peer.emit("have", i);
    }
  }

  #requireFast(what: string): void {
    if (!this.#p.fast) {
      throw new PeerError(
        "fast_not_negotiated",
        `${what} received, but the fast extension (BEP 6) was not negotiated`,
      );
    }
  }

  #onRequest(ref: BlockRef): void {
    const p = this.#p;
    const geometry = p.geometry();
    if (!geometry) {
      // Before the metadata we have nothing to serve (and announced nothing).
      if (p.fast) p.writeBlocks(MessageId.reject, [ref]);
      return;
    }
    const problem = geometry.blockProblem(ref);
    if (problem) throw new PeerError("bad_request", `request: ${problem}`);
    // BEP 3: requests from a peer we choke are ignored; BEP 6: rejected.
    // The same for a piece we never announced.
    if (p.chokes.amChoking || !p.ourPieces.have.has(ref.index)) {
      if (p.fast) p.writeBlocks(MessageId.reject, [ref]);
      return;
    }
    p.uploader.accept(ref);
  }

  #onExtended(id: number, payload: Buffer): void {
    const p = this.#p;
    if (!p.extended) return;
    if (id !== 0) {
      p.ext.dispatch(p.peer, id, payload);
      if (!p.peer.closed) p.peer.emit("extended", id, payload);
      return;
    }
    const h = p.ext.onHandshake(payload);
    p.peer.emit("extended-handshake", h);
    p.ext.tellHandshake(p.peer, h);
    p.downloader.pump();
  }
}
