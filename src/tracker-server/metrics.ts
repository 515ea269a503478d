/**
 * Counters for /stats and /metrics. Plain number fields bumped on the hot path;
 * formatted only when an operator asks.
 */
import type { AnnounceEvent } from "../tracker-proto/index.ts";
import type { SwarmTotals } from "./swarm-store.ts";

export type Transport = "http" | "udp";

export type ErrorKind =
  | "bad_request"
  | "unregistered"
  | "too_many_swarms"
  | "swarm_full"
  | "bad_connection_id"
  | "malformed_packet"
  | "http_malformed"
  | "http_too_large"
  | "not_found"
  | "unauthorized"
  | "throttled"
  | "http_busy"
  | "bad_upload"
  | "store_unavailable"
  | "blocked";

const EVENTS: AnnounceEvent[] = ["none", "started", "completed", "stopped", "paused"];

type EventCounts = Record<AnnounceEvent, number>;

function eventCounts(): EventCounts {
  return { none: 0, started: 0, completed: 0, stopped: 0, paused: 0 };
}

export class TrackerMetrics {
  readonly announces: Record<Transport, EventCounts> = { http: eventCounts(), udp: eventCounts() };
  readonly scrapes: Record<Transport, number> = { http: 0, udp: 0 };
  connects = 0;
  readonly errors: Record<ErrorKind, number> = {
    bad_request: 0,
    unregistered: 0,
    too_many_swarms: 0,
    swarm_full: 0,
    bad_connection_id: 0,
    malformed_packet: 0,
    http_malformed: 0,
    http_too_large: 0,
    not_found: 0,
    unauthorized: 0,
    throttled: 0,
    http_busy: 0,
    bad_upload: 0,
    store_unavailable: 0,
    blocked: 0,
  };
  expired = 0;
  readonly startedAt = Date.now();

  announceCount(transport?: Transport): number {
    const sum = (c: EventCounts) => EVENTS.reduce((n, e) => n + c[e], 0);
    return transport
      ? sum(this.announces[transport])
      : sum(this.announces.http) + sum(this.announces.udp);
  }

  /** Prometheus text exposition format (version 0.0.4). */
  prometheus(totals: SwarmTotals, torrents: number): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    const announces: [string, number][] = [];
    for (const t of ["http", "udp"] as const) {
      for (const e of EVENTS) {
        announces.push([`{protocol="${t}",event="${e}"}`, this.announces[t][e]]);
      }
    }
    metric(
      "shoal_tracker_announces_total",
      "counter",
      "Announces answered, by protocol and event.",
      announces,
    );
    metric("shoal_tracker_scrapes_total", "counter", "Scrapes answered, by protocol.", [
      ['{protocol="http"}', this.scrapes.http],
      ['{protocol="udp"}', this.scrapes.udp],
    ]);
    metric("shoal_tracker_udp_connects_total", "counter", "UDP connect requests answered.", [
      ["", this.connects],
    ]);
    metric(
      "shoal_tracker_errors_total",
      "counter",
      "Requests refused or dropped, by kind.",
      Object.entries(this.errors).map(([k, v]) => [`{kind="${k}"}`, v]),
    );
    metric("shoal_tracker_peers_expired_total", "counter", "Peers dropped for not announcing.", [
      ["", this.expired],
    ]);
    metric("shoal_tracker_swarms", "gauge", "Swarms in memory.", [["", totals.swarms]]);
    metric("shoal_tracker_peers", "gauge", "Peers in all swarms.", [["", totals.peers]]);
    metric("shoal_tracker_seeders", "gauge", "Seeders in all swarms.", [["", totals.seeders]]);
    metric("shoal_tracker_leechers", "gauge", "Leechers in all swarms.", [["", totals.leechers]]);
    metric("shoal_tracker_torrents", "gauge", "Torrents published to the index.", [["", torrents]]);
    metric("shoal_tracker_uptime_seconds", "gauge", "Seconds since the tracker started.", [
      ["", Math.floor((Date.now() - this.startedAt) / 1000)],
    ]);
    return `${lines.join("\n")}\n`;
  }

  json(): Record<string, unknown> {
    return {
      announces: this.announces,
      scrapes: this.scrapes,
      udpConnects: this.connects,
      errors: this.errors,
      peersExpired: this.expired,
    };
  }
}
