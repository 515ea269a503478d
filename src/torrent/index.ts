export { BanList } from "./bans.ts";
export { PieceAssembler } from "./piece-assembler.ts";
export { banKey, endpointKey } from "./swarm-peer.ts";
export { Torrent, type TorrentEvents, type TorrentOptions } from "./torrent.ts";
export type { PeerInfo, TorrentState, TorrentStats } from "./types.ts";
