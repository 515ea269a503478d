/**
 * A libtorrent peer for the PEX interop test: like helpers.ts's
 * startLibtorrent (loopback only; DHT, LSD, UPnP, NAT-PMP off), but with
 * BEP 11 peer exchange on or off as asked, peers to connect to at start,
 * and a `PEER ip:port source=N` line for every connection it holds (N is
 * libtorrent's peer_info.source bit set: 1 tracker, 4 pex), so a test sees
 * where libtorrent heard of each peer.
 *
 * libtorrent takes a PEX contact on a loopback/LAN address only from a
 * peer that is itself on one (ut_pex.cpp, `is_local`): on 127.0.0.1 that
 * holds for every peer. `allow_multiple_connections_per_ip` keeps peers of
 * one address apart by port, as on loopback they all share 127.0.0.1.
 * TCP only, as shoal speaks. Over ::1, libtorrent 2.0.8 sends no BEP 10
 * `p` on its outgoing connections (it finds no listen port for the
 * socket's address), so a peer that dialled another libtorrent is not passed
 * on by it: the test has libtorrent dial the peer it is to tell of.
 */
import type { Child, Children } from "./helpers.ts";
import { SYSTEM_PYTHON } from "./helpers.ts";

const SCRIPT = `
import json, sys, time
import libtorrent as lt
cfg = json.loads(sys.argv[1])
cat = lt.alert.category_t
s = lt.session({
    "listen_interfaces": ("[%s]:%d" if ":" in cfg["host"] else "%s:%d") % (cfg["host"], cfg["port"]),
    "enable_dht": False, "enable_lsd": False,
    "enable_upnp": False, "enable_natpmp": False,
    "allow_multiple_connections_per_ip": True,
    "enable_outgoing_utp": False, "enable_incoming_utp": False,
    "alert_mask": cat.error_notification | (cat.peer_notification | cat.connect_notification if cfg["verbose"] else 0),
})
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(cfg["torrent"])
atp.save_path = cfg["save_path"]
tf = lt.torrent_flags
flags = (atp.flags | tf.disable_dht | tf.disable_lsd) & ~tf.auto_managed & ~tf.paused
if not cfg["pex"]:
    flags |= tf.disable_pex
atp.flags = flags
h = s.add_torrent(atp)
for port in cfg["connect"]:
    h.connect_peer((cfg["host"], port))
print("ADDED", flush=True)
deadline = time.time() + cfg["seconds"]
seen = set()
while time.time() < deadline:
    for a in s.pop_alerts():
        print("ALERT", type(a).__name__, a.message(), flush=True)
    for p in h.get_peer_info():
        line = "PEER %s:%d source=%d" % (p.ip[0], p.ip[1], p.source)
        if line not in seen:
            seen.add(line)
            print(line, flush=True)
    time.sleep(0.1)
print("TIMEOUT", flush=True)
`;

export interface LibtorrentPexOptions {
  torrent: string;
  savePath: string;
  port: number;
  /** BEP 11 on for this torrent. */
  pex: boolean;
  /** Ports on `host` to connect to once the torrent is added. */
  connect: number[];
  /** The loopback address to listen and connect on (default 127.0.0.1; "::1" for IPv6). */
  host?: "127.0.0.1" | "::1";
  /** Also print peer and connection alerts (for debugging a test). */
  verbose?: boolean;
}

/** libtorrent's peer_info.source bit for a peer heard of through PEX. */
export const LIBTORRENT_SOURCE_PEX = 4;

export function startLibtorrentPex(
  children: Children,
  name: string,
  opts: LibtorrentPexOptions,
  timeoutMs: number,
): Child {
  const config = {
    host: opts.host ?? "127.0.0.1",
    verbose: opts.verbose ?? false,
    torrent: opts.torrent,
    save_path: opts.savePath,
    port: opts.port,
    pex: opts.pex,
    connect: opts.connect,
    seconds: Math.ceil(timeoutMs / 1000),
  };
  return children.start(SYSTEM_PYTHON, ["-c", SCRIPT, JSON.stringify(config)], {
    name,
    timeoutMs: timeoutMs + 2000,
  });
}
