/**
 * The handshake negotiation (negotiate.ts, with MSE's entry, the stream
 * reader and the wire codecs under it) imported with the first connection,
 * in or out, rather than with the process: a daemon whose seeds have no
 * peers never negotiates. The stream is paused while it loads (its reader
 * resumes it), so no byte of the peer's handshake is lost.
 */
import type { Transport } from "../net/index.ts";
import { LazyModule } from "../util/index.ts";
import { PeerError } from "./errors.ts";
import type { IncomingOptions, OutgoingOptions } from "./negotiate.ts";
import type { Negotiated } from "./negotiated.ts";

const negotiation = new LazyModule(() => import("./negotiate.ts"));

async function loaded(stream: Transport): Promise<typeof import("./negotiate.ts")> {
  const module = negotiation.module;
  if (module) return module;
  stream.pause();
  const late = await negotiation.load();
  if (stream.destroyed) throw new PeerError("closed", "the peer closed the connection");
  return late;
}

/** negotiate.ts's negotiateOutgoing, once loaded: we dialled. */
export async function negotiateOutgoing(
  stream: Transport,
  opts: OutgoingOptions,
): Promise<Negotiated> {
  return (await loaded(stream)).negotiateOutgoing(stream, opts);
}

/** negotiate.ts's negotiateIncoming, once loaded: they dialled. */
export async function negotiateIncoming(
  stream: Transport,
  opts: IncomingOptions,
): Promise<Negotiated> {
  return (await loaded(stream)).negotiateIncoming(stream, opts);
}
