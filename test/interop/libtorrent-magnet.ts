/**
 * libtorrent through Python for magnet links (BEP 9), on 127.0.0.1 with DHT,
 * LSD, UPnP, NAT-PMP, PEX and uTP off:
 *
 * - `startLibtorrentSeeders`: one process holding `count` sessions, each on
 *   its own port, seeding the same .torrent (data checked first); prints
 *   `READY <port> <port> …` once every one is seeding.
 * - `startLibtorrentMagnet`: one session that adds a magnet link (its
 *   `x.pe` peers, or `connect` addresses dialled by hand) and prints, in
 *   seconds since the add, `METADATA <s>` when the info dictionary is
 *   verified, `FIRST_BYTE <s>` when payload first arrives and `DONE <s>`
 *   when every piece has passed its hash check (then exits 0); with
 *   `until: "first-byte"` it exits after FIRST_BYTE. The clock starts when
 *   the session is ready and the magnet added (`ADDED`), so Python's start
 *   is not counted. Used by the interop test and by bench/magnet.ts.
 */
import { type Child, type Children, SYSTEM_PYTHON } from "./helpers.ts";

const COMMON = `
import json, sys, time
import libtorrent as lt
cfg = json.loads(sys.argv[1])
def session(port):
    return lt.session({
        "listen_interfaces": "127.0.0.1:%d" % port,
        "enable_dht": False, "enable_lsd": False,
        "enable_upnp": False, "enable_natpmp": False,
        "enable_outgoing_utp": False, "enable_incoming_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
    })
tf = lt.torrent_flags
flags_off = tf.auto_managed | tf.paused
flags_on = tf.disable_pex | tf.disable_dht | tf.disable_lsd
`;

const SEEDERS_SCRIPT = `${COMMON}
sessions, handles = [], []
for port in cfg["ports"]:
    s = session(port)
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(cfg["torrent"])
    atp.save_path = cfg["save_path"]
    atp.flags = (atp.flags | flags_on) & ~flags_off
    handles.append(s.add_torrent(atp))
    sessions.append(s)
deadline = time.time() + cfg["seconds"]
ready = False
while time.time() < deadline:
    for s in sessions:
        for a in s.pop_alerts():
            if isinstance(a, lt.torrent_error_alert):
                print("ALERT", a.message(), flush=True)
    if not ready and all(h.status().is_seeding for h in handles):
        ready = True
        print("READY " + " ".join(str(s.listen_port()) for s in sessions), flush=True)
    time.sleep(0.05)
`;

const MAGNET_SCRIPT = `${COMMON}
s = session(cfg["port"])
atp = lt.parse_magnet_uri(cfg["magnet"])
atp.save_path = cfg["save_path"]
atp.flags = (atp.flags | flags_on) & ~flags_off
h = s.add_torrent(atp)
t0 = time.monotonic()
for host, port in cfg.get("connect", []):
    h.connect_peer((host, port))
print("ADDED", flush=True)
deadline = time.time() + cfg["seconds"]
have_meta = False
first = False
while time.time() < deadline:
    for a in s.pop_alerts():
        if isinstance(a, lt.metadata_received_alert) and not have_meta:
            have_meta = True
            print("METADATA %.4f" % (time.monotonic() - t0), flush=True)
        elif isinstance(a, lt.torrent_finished_alert) and have_meta:
            print("DONE %.4f" % (time.monotonic() - t0), flush=True)
            sys.exit(0)
        elif isinstance(a, (lt.torrent_error_alert, lt.metadata_failed_alert)):
            print("ALERT", a.message(), flush=True)
    if not first and h.status().total_payload_download > 0:
        first = True
        print("FIRST_BYTE %.4f" % (time.monotonic() - t0), flush=True)
        if cfg["until"] == "first-byte":
            sys.exit(0)
    s.wait_for_alert(1)
print("TIMEOUT", flush=True)
sys.exit(3)
`;

export function startLibtorrentSeeders(
  children: Children,
  opts: { torrent: string; savePath: string; ports: number[] },
  timeoutMs: number,
): Child {
  const config = {
    torrent: opts.torrent,
    save_path: opts.savePath,
    ports: opts.ports,
    seconds: Math.ceil(timeoutMs / 1000),
  };
  return children.start(SYSTEM_PYTHON, ["-c", SEEDERS_SCRIPT, JSON.stringify(config)], {
    name: `libtorrent seeders (${opts.ports.length})`,
    timeoutMs: timeoutMs + 2000,
  });
}

export function startLibtorrentMagnet(
  children: Children,
  opts: {
    magnet: string;
    savePath: string;
    port: number;
    connect?: [string, number][];
    until?: "done" | "first-byte";
  },
  timeoutMs: number,
): Child {
  const config = {
    magnet: opts.magnet,
    save_path: opts.savePath,
    port: opts.port,
    connect: opts.connect ?? [],
    until: opts.until ?? "done",
    seconds: Math.ceil(timeoutMs / 1000),
  };
  return children.start(SYSTEM_PYTHON, ["-c", MAGNET_SCRIPT, JSON.stringify(config)], {
    name: "libtorrent magnet leecher",
    timeoutMs: timeoutMs + 2000,
  });
}
