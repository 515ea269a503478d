/**
 * A libtorrent session with its DHT on, for the DHT interop test: it joins
 * through the bootstrap nodes it is given (no router of its own), seeds
 * some torrents and downloads others, found through the DHT alone. On a
 * LAN test bed its DHT needs dht_restrict_routing_ips,
 * dht_restrict_search_ips, dht_enforce_node_id and dht_ignore_dark_internet
 * off (DESIGN.md). Prints `DHT nodes=N` now and then, `FINISHED <name>` when
 * a download completes, and alerts about errors.
 */

import type { BridgedLan, LanHost } from "./dht-lan.ts";
import type { Child, Children } from "./helpers.ts";
import { SYSTEM_PYTHON } from "./helpers.ts";

const SCRIPT = `
import json, sys, time
import libtorrent as lt
cfg = json.loads(sys.argv[1])
cat = lt.alert.category_t
s = lt.session({
    "listen_interfaces": "%s:%d" % (cfg["host"], cfg["port"]),
    "enable_dht": True, "enable_lsd": False,
    "enable_upnp": False, "enable_natpmp": False,
    "dht_bootstrap_nodes": cfg["bootstrap"],
    "dht_restrict_routing_ips": False, "dht_restrict_search_ips": False,
    "dht_enforce_node_id": False, "dht_ignore_dark_internet": False,
    "dht_announce_interval": 5,
    "alert_mask": cat.error_notification,
})
handles = {}
for t in cfg["torrents"]:
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(t["file"])
    atp.save_path = t["save_path"]
    tf = lt.torrent_flags
    atp.flags = (atp.flags | tf.disable_lsd) & ~tf.auto_managed & ~tf.paused
    handles[t["name"]] = s.add_torrent(atp)
print("ADDED", flush=True)
deadline = time.time() + cfg["seconds"]
finished = set()
last = 0
while time.time() < deadline:
    for a in s.pop_alerts():
        print("ALERT", type(a).__name__, a.message(), flush=True)
    for name, h in handles.items():
        st = h.status()
        if st.is_seeding and name not in finished:
            finished.add(name)
            print("FINISHED", name, flush=True)
    if time.time() - last > 2:
        last = time.time()
        print("DHT nodes=%d" % s.status().dht_nodes, " ".join("%s:%.2f/%d" % (n, h.status().progress, h.status().num_peers) for n, h in handles.items()), flush=True)
        for h in handles.values():
            h.force_dht_announce()
    time.sleep(0.1)
print("TIMEOUT", flush=True)
`;

export interface LibtorrentDhtOptions {
  host: string;
  port: number;
  /** "host:port,host:port" */
  bootstrap: string;
  torrents: { name: string; file: string; save_path: string }[];
  seconds: number;
}

export function startLibtorrentDht(
  lan: BridgedLan,
  children: Children,
  where: LanHost,
  o: LibtorrentDhtOptions,
): Child {
  return lan.exec(children, where, SYSTEM_PYTHON, ["-c", SCRIPT, JSON.stringify(o)], {
    name: "libtorrent (dht)",
    timeoutMs: (o.seconds + 10) * 1000,
  });
}
