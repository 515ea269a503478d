/**
 * One libtorrent peer of bench/swarm.ts, the same as lib/swarm-peer.ts does
 * for shoal: DHT, LSD, UPnP, NAT-PMP and PEX off, loopback only, its upload
 * limit applied to loopback peers too (libtorrent exempts local peers from
 * limits by default: the IP filter puts every address in the global class).
 * A free-rider has no unchoke slots and no allowed-fast set (BEP 6: choked
 * peers may still fetch those pieces), so it uploads nothing (an upload rate
 * limit would not do: libtorrent's limit throttles the requests it sends too).
 * "DONE <ms> <payload bytes uploaded>" when it has the whole file. With `go`
 * in the config it connects only once "GO" comes on stdin. With `traceMs` it
 * prints "UP <epoch ms> <payload bytes uploaded>" about that often.
 */
export const LIBTORRENT_SWARM_PEER = `
import json, sys, time
import libtorrent as lt
cfg = json.loads(sys.argv[1])
s = lt.session({
    "listen_interfaces": "127.0.0.1:%d" % cfg["port"],
    "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
    "allow_multiple_connections_per_ip": True,
    "upload_rate_limit": cfg["uploadLimit"],
})
if cfg.get("freeRider"):
    s.apply_settings({"unchoke_slots_limit": 0, "allowed_fast_set_size": 0})
f = lt.ip_filter()
f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
s.set_peer_class_filter(f)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(cfg["torrent"])
atp.save_path = cfg["dir"]
tf = lt.torrent_flags
atp.flags = (atp.flags | tf.disable_pex | tf.disable_dht | tf.disable_lsd) & ~tf.auto_managed & ~tf.paused
h = s.add_torrent(atp)
start = time.time()
while h.status().state in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data):
    time.sleep(0.05)
print("READY", "seed" if h.status().is_seeding else "leech", flush=True)
if cfg.get("go"):
    sys.stdin.readline()
for p in cfg["peers"]:
    h.connect_peer(("127.0.0.1", p))
done = False
deadline = time.time() + cfg["seconds"]
trace = cfg.get("traceMs", 0) / 1000
next_trace = time.time()
while time.time() < deadline:
    st = h.status()
    if trace and time.time() >= next_trace:
        print("UP", int(time.time() * 1000), st.total_payload_upload, flush=True)
        next_trace += trace
    if not done and st.is_seeding:
        print("DONE", int((time.time() - start) * 1000), st.total_payload_upload, flush=True)
        done = True
    if st.num_peers < len(cfg["peers"]):
        for p in cfg["peers"]:
            h.connect_peer(("127.0.0.1", p))
    time.sleep(0.1)
`;
