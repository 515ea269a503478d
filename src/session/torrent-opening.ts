/**
 * A Torrent made from what a source resolved to: from metainfo, its data
 * checked before it joins the session; from an info hash alone (a magnet
 * link), in its metadata state, with what the link said kept so the
 * session can persist it until the metadata arrives (BEP 9).
 */
import { Torrent, type TorrentOptions } from "../torrent/index.ts";
import type { MagnetDescription } from "./registry.ts";
import type { ResolvedSource } from "./torrent-source.ts";

export interface OpenedTorrent {
  torrent: Torrent;
  /** Set for a torrent without its metadata. */
  magnet?: MagnetDescription;
}

/**
 * `keepOnError`: a torrent whose data cannot be opened is kept, in its
 * `error` state with the reason (a restored one, for the user to see and
 * resume or remove); otherwise it is closed and the error thrown.
 * `options` is the caller's own, made for this torrent: the metainfo is
 * set in it rather than in a copy of its twenty-odd fields (a restore
 * opens a thousand torrents in a row).
 */
export async function openTorrent(
  resolved: ResolvedSource,
  options: TorrentOptions,
  keepOnError: boolean,
): Promise<OpenedTorrent> {
  if (resolved.meta) {
    options.meta = resolved.meta;
    const torrent = new Torrent(options);
    await torrent.checked().catch(async (err) => {
      if (keepOnError) return;
      await torrent.close();
      throw err;
    });
    return { torrent };
  }
  const magnet: MagnetDescription = {
    trackers: resolved.announceList,
    peers: resolved.peers.map((p) => ({ host: p.ip, port: p.port })),
  };
  if (resolved.name !== undefined) magnet.name = resolved.name;
  const torrent = new Torrent({
    ...options,
    infoHash: resolved.infoHash,
    announceList: resolved.announceList,
    peers: resolved.peers,
    ...(resolved.name !== undefined ? { name: resolved.name } : {}),
  });
  return { torrent, magnet };
}
