/**
 * Choke and interest, both ways (BEP 3): what we want the peer to know of
 * us, what it was last told (a change undone before it went out sends
 * nothing), and what it said of itself. Connections start choked and not
 * interested on both sides, so nothing needs saying until one changes.
 */
export type ChokeMessage = "choke" | "unchoke" | "interested" | "not-interested";

export class ChokeState {
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  #toldChoking = true;
  #toldInterested = false;

  /** Sends (through `send`) our choke and interest where they differ from what the peer knows. */
  sync(send: (type: ChokeMessage) => void): void {
    if (this.#toldInterested !== this.amInterested) {
      this.#toldInterested = this.amInterested;
      send(this.amInterested ? "interested" : "not-interested");
    }
    if (this.#toldChoking !== this.amChoking) {
      this.#toldChoking = this.amChoking;
      send(this.amChoking ? "choke" : "unchoke");
    }
  }
}
