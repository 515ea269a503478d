/**
 * The libtorrent → libtorrent reference pair: one small Python program
 * (Debian's python3-libtorrent, run by /usr/bin/python3, not a pyenv shim)
 * started twice, as a seeder and as a leecher, each its own process and
 * session on 127.0.0.1 with DHT, LSD, UPnP, NAT-PMP and PEX off.
 *
 * The seeder checks its data in full first (no seed_mode, which would hash
 * pieces lazily while uploading), then prints `READY port=<n>`. The leecher
 * dials it with `handle.connect_peer` and prints `DONE <s>` (seconds since
 * its torrent was added) at torrent_finished_alert, when every piece has
 * passed its hash check, then closes its session and exits 0.
 */

/** The Python that has libtorrent. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

/**
 * Settings over libtorrent 2.0's defaults, so the reference is at its best
 * over one fast loopback connection (see README, "Transfer benchmark"):
 * - TCP only (uTP off both ways), as shoal speaks: libtorrent would otherwise
 *   try uTP first on an outgoing connection, slower and costlier on loopback;
 * - no rate limits (0 is libtorrent's default; set to say so);
 * - the throughput knobs of libtorrent's own `high_performance_seed()` preset:
 *   deeper send buffers, more queued disk bytes, a longer request queue and a
 *   bigger receive buffer (its many-peer knobs, e.g. 8000 connections, do not
 *   matter for one peer and are left alone);
 * - two hashing threads (the machine's two cores) instead of one.
 * libtorrent 2.0 caches through mmap and the OS page cache: there is no
 * cache_size to tune any more.
 */
export const LIBTORRENT_SETTINGS: Record<string, number | boolean> = {
  enable_outgoing_utp: false,
  enable_incoming_utp: false,
  upload_rate_limit: 0,
  download_rate_limit: 0,
  allow_multiple_connections_per_ip: true,
  send_buffer_watermark: 3 * 1024 * 1024,
  send_buffer_low_watermark: 1024 * 1024,
  send_buffer_watermark_factor: 150,
  send_not_sent_low_watermark: 512 * 1024,
  max_queued_disk_bytes: 7 * 1024 * 1024,
  max_out_request_queue: 1500,
  max_peer_recv_buffer_size: 5 * 1024 * 1024,
  checking_mem_usage: 2048,
  hashing_threads: 2,
};

const SCRIPT = `
import json, os, signal, sys, time
import libtorrent as lt
cfg = json.loads(sys.argv[1])
deadline = time.monotonic() + cfg["seconds"]
# A seeder is stopped with SIGTERM once the benchmark has read its /proc figures.
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
cat = lt.alert.category_t
pack = {
    "listen_interfaces": "127.0.0.1:0",
    "enable_dht": False, "enable_lsd": False,
    "enable_upnp": False, "enable_natpmp": False,
    "alert_mask": cat.error_notification | cat.status_notification,
}
pack.update(cfg["settings"])
s = lt.session(pack)
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(cfg["torrent"])
atp.save_path = cfg["save_path"]
tf = lt.torrent_flags
atp.flags = (atp.flags | tf.disable_pex | tf.disable_dht | tf.disable_lsd) & ~tf.auto_managed & ~tf.paused
h = s.add_torrent(atp)
added = time.monotonic()

def drain():
    done = False
    for a in s.pop_alerts():
        if isinstance(a, lt.torrent_finished_alert):
            done = True
        elif a.category() & cat.error_notification:
            print("ALERT", type(a).__name__, a.message(), flush=True)
    return done

if cfg["mode"] == "seed":
    while time.monotonic() < deadline:
        s.wait_for_alert(100)
        drain()
        if h.status().is_seeding:
            print("READY port=%d checked=%.3f" % (s.listen_port(), time.monotonic() - added), flush=True)
            break
    while time.monotonic() < deadline:
        s.wait_for_alert(1000)
        drain()
    print("TIMEOUT", flush=True)
    os._exit(3)

h.connect_peer(("127.0.0.1", cfg["peer_port"]))
while time.monotonic() < deadline:
    s.wait_for_alert(100)
    if drain() or h.status().is_seeding:
        print("DONE %.3f" % (time.monotonic() - added), flush=True)
        s.remove_torrent(h)
        del h
        del s
        sys.exit(0)
print("TIMEOUT", h.status().progress, flush=True)
os._exit(3)
`;

/**
 * The settings used: LIBTORRENT_SETTINGS, with SHOAL_BENCH_LIBTORRENT_SETTINGS
 * (a JSON object of settings_pack names) merged over them to try others;
 * `{"preset": "default"}` there starts from libtorrent's plain defaults.
 */
export function libtorrentSettings(): Record<string, number | boolean> {
  const text = process.env.SHOAL_BENCH_LIBTORRENT_SETTINGS;
  if (!text) return LIBTORRENT_SETTINGS;
  const extra = JSON.parse(text) as Record<string, number | boolean | string>;
  const { preset, ...rest } = extra;
  const base = preset === "default" ? {} : LIBTORRENT_SETTINGS;
  return { ...base, ...(rest as Record<string, number | boolean>) };
}

export interface LibtorrentRun {
  mode: "seed" | "leech";
  torrent: string;
  savePath: string;
  /** The seeder's port, for the leecher to dial. */
  peerPort?: number;
  /** The program gives up (exit 3) after this many seconds. */
  seconds: number;
  /** settings_pack names over the benchmark's (e.g. forced RC4). */
  settings?: Record<string, number | boolean>;
}

/** The command line of one libtorrent process. */
export function libtorrentCommand(run: LibtorrentRun): { command: string; args: string[] } {
  const cfg = {
    mode: run.mode,
    torrent: run.torrent,
    save_path: run.savePath,
    peer_port: run.peerPort ?? 0,
    seconds: run.seconds,
    settings: { ...libtorrentSettings(), ...run.settings },
  };
  return { command: SYSTEM_PYTHON, args: ["-c", SCRIPT, JSON.stringify(cfg)] };
}
