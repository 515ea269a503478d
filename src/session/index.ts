/**
 * session: the Client, many torrents behind one listener.
 *
 *   const client = await Client.start({ dataDir, downloadDir, port?, dialer?, listen?, ... });
 *   await client.add("x.torrent" | bytes | metainfo | "magnet:?xt=…" | { infoHash, name?, trackers?, peers? });
 *   client.get(infoHashHex); await client.remove(infoHashHex); await client.close();
 *
 * Incoming streams go through the negotiation step (peer/negotiate.ts) and
 * are routed to the torrent their handshake names; dialling and listening go
 * through a Dialer and a Listener (transports.ts), TCP unless given others.
 */
export {
  type AddOptions,
  Client,
  type ClientEvents,
  type ClientOptions,
} from "./client.ts";
export { ClientError } from "./errors.ts";
export type { TorrentDescription, TorrentSource } from "./torrent-source.ts";
export { type Dialer, type Listen, type Listener, listenOnTcp, tcpDialer } from "./transports.ts";
