/**
 * The swarm side of a torrent, imported as one (swarm-loader.ts): its peer
 * set, choke rounds, downloading side, metadata exchange (BEP 9), peer
 * exchange (BEP 11), resume saver and their hosts, file streams, with
 * what they import (piece picker, choker, wire codecs). A torrent with no peer, nothing to
 * fetch and nothing verified never runs any of it.
 */
export { FileStreams } from "./file-stream.ts";
export { MetadataExchange, metainfoOfInfo } from "./metadata-exchange.ts";
export { PeerSet } from "./peer-set.ts";
export { PeerExchange } from "./pex.ts";
export { Requester } from "./requesting.ts";
export { ResumeSaver } from "./resume-saver.ts";
export {
  MetadataHost,
  PeersHost,
  RequesterHostOf,
  ResumeSaverHost,
  SlotsHost,
} from "./torrent-hosts.ts";
export { UploadSlots } from "./upload-slots.ts";
