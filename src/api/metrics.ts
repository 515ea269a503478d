/**
 * `GET /metrics`: the session's stats in Prometheus' text exposition format
 * (version 0.0.4), for a scraper on the daemon's API port (the same guard
 * and credentials as the API). Counters end in `_total`; the DHT's appear
 * only while the DHT runs (issue 15: its counters in the daemon's metrics).
 */
import type { SessionStats } from "./types.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Kind = "gauge" | "counter";

class Exposition {
  readonly #lines: string[] = [];

  add(name: string, kind: Kind, help: string, samples: [labels: string, value: number][]): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`);
    for (const [labels, value] of samples) this.#lines.push(`${name}${labels} ${value}`);
  }

  one(name: string, kind: Kind, help: string, value: number): void {
    this.add(name, kind, help, [["", value]]);
  }

  text(): string {
    return `${this.#lines.join("\n")}\n`;
  }
}

export function metricsText(s: SessionStats): string {
  const m = new Exposition();
  m.add("shoal_torrents", "gauge", "Torrents in the session, by state.", [
    ['{state="downloading"}', s.downloading],
    ['{state="seeding"}', s.seeding],
    ['{state="paused"}', s.paused],
  ]);
  m.one("shoal_peers", "gauge", "Peer connections over all torrents.", s.peers);
  m.one("shoal_download_rate_bytes", "gauge", "Payload download rate, bytes/s.", s.downloadRate);
  m.one("shoal_upload_rate_bytes", "gauge", "Payload upload rate, bytes/s.", s.uploadRate);
  m.one(
    "shoal_downloaded_bytes_total",
    "counter",
    "Payload bytes downloaded this session.",
    s.downloaded,
  );
  m.one(
    "shoal_uploaded_bytes_total",
    "counter",
    "Payload bytes uploaded this session.",
    s.uploaded,
  );
  m.one("shoal_uptime_seconds", "gauge", "Seconds since the session started.", s.secondsActive);
  const d = s.dht;
  if (d) {
    m.one("shoal_dht_nodes", "gauge", "Nodes in the DHT routing table (BEP 5).", d.nodes);
    m.one("shoal_dht_buckets", "gauge", "Buckets of the DHT routing table.", d.buckets);
    m.one("shoal_dht_stored_peers", "gauge", "Peers announced to us and kept.", d.storedPeers);
    m.one(
      "shoal_dht_stored_info_hashes",
      "gauge",
      "Info hashes with announced peers kept.",
      d.storedInfoHashes,
    );
    m.one("shoal_dht_lookups_total", "counter", "get_peers and find_node lookups run.", d.lookups);
    const counters: [string, string, number][] = [
      ["queries_sent", "KRPC queries sent.", d.queriesSent],
      ["responses_received", "Answers received to our queries.", d.responsesReceived],
      ["errors_received", "KRPC errors received.", d.errorsReceived],
      ["timeouts", "Queries that got no answer in time.", d.timeouts],
      ["queries_received", "KRPC queries received.", d.queriesReceived],
      ["responses_sent", "Answers sent.", d.responsesSent],
      ["errors_sent", "KRPC errors sent.", d.errorsSent],
      ["malformed", "Datagrams dropped as malformed.", d.malformed],
      ["rate_limited", "Queries dropped by the per-address rate limit.", d.rateLimited],
      ["unmatched", "Answers that matched no outstanding query.", d.unmatched],
      ["sent_bytes", "Bytes of DHT datagrams sent.", d.bytesSent],
      ["received_bytes", "Bytes of DHT datagrams received.", d.bytesReceived],
    ];
    for (const [name, help, value] of counters) {
      m.one(`shoal_dht_${name}_total`, "counter", help, value);
    }
  }
  return m.text();
}
