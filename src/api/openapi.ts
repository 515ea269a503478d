/**
 * The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`.
 * Paths come from the route table (rest-routes.ts), so the two cannot
 * drift apart; the descriptions and schemas are written here.
 */
import { HTTP_STATUS } from "./http-errors.ts";
import { API_PREFIX, ROUTES } from "./rest-routes.ts";

const SUMMARIES: Record<string, string> = {
  "GET /session":
    "The client's stats: rates, counts, this session's totals, and the DHT's table and counters (dht) while it runs",
  "GET /session/settings": "The settings that can change live (global limits) and the peer port",
  "PUT /session/settings":
    "Set the global limits: {limits: {upload, download}} in bytes/s, 0 for none",
  "GET /session/rates":
    "The session's download and upload rates of the last ten minutes: {periodMs: 1000, download: [..], upload: [..]} in bytes/s, oldest first",
  "GET /torrents/{ref}/rates":
    "Its rates of the last ten minutes, like /session/rates and lined up with them (the newest last): every torrent moving data is sampled each second, zeros while it was idle (at most 256 torrents tracked at once; a series starts later when more moved data at once)",
  "GET /settings":
    "The config file's options as the daemon has them: {file, fields: [{key (the file's name: download-dir, peer.port, limits.upload …), value (null: not set), kind, choices?, live (applied at once when saved), flag (a command-line flag overrides it)}]}",
  "POST /settings/validate":
    'Check values before saving: {values: {"peer.port": 51413, …}} → {ok, errors: {key: message}}, with the config file\'s own checks',
  "PUT /settings":
    "Save values to the config file (comments and other keys kept) and apply what can change live: {values} → the fields with applied and restartNeeded (keys); invalid values: 400 naming the first",
  "GET /session/manage":
    "Queues and seeding goals: {maxActiveDownloads, maxActiveSeeds, stalledMinutes, ratioLimit, idleLimitMinutes} (0: none)",
  "PUT /session/manage": "Change queue sizes and seeding goals live (any of the fields above)",
  "GET /labels": "Every label in use",
  "POST /torrents/{ref}/queue": "Move in the queue: {to: a position | top | up | down | bottom}",
  "PUT /torrents/{ref}/labels": "Replace its labels: {labels: [..]}",
  "PUT /torrents/{ref}/seeding-goals":
    'Its own seeding goals: {ratioLimit?, idleLimitMinutes?}, each a number, null (none) or "global"',
  "GET /torrents": "Every torrent; ?fields=id,name,state picks fields",
  "GET /torrents/changes":
    "The list's changes: {version, full, torrents, removed}. ?since=<a version it gave> gives the torrents changed (whole, in their requested fields) and the info hashes removed after it; without since, or for one it can no longer answer, the whole list with full: true. ?fields= as for GET /torrents",
  "POST /torrents":
    "Add a torrent: JSON {torrent (base64) | magnet | url, downloadDir?, paused?, pauseAfterMetadata? (a magnet: paused once its metadata is here), uploadLimit?, downloadLimit?, peers?, verify?, files? (indices to download), filePriorities?, sequential?, firstLastPiecePriority?} or the .torrent as application/x-bittorrent (?paused=&downloadDir=)",
  "GET /torrents/{ref}": "One torrent in detail (ref: short id or info-hash prefix)",
  "DELETE /torrents/{ref}": "Remove a torrent; ?deleteData=true deletes its files too",
  "POST /torrents/{ref}/pause": "Pause",
  "POST /torrents/{ref}/resume": "Resume",
  "POST /torrents/{ref}/recheck": "Hash every piece on disk again",
  "POST /torrents/{ref}/reannounce": "Announce to its trackers now",
  "POST /torrents/{ref}/move": "Move its data: {downloadDir} (absolute)",
  "PUT /torrents/{ref}/limits":
    "Its own limits: {upload?, download?} in bytes/s, 0 for only the global ones",
  "GET /torrents/{ref}/files": "Its files with their progress, priority and whether wanted",
  "PUT /torrents/{ref}/files":
    "Select files: {indices? (all when absent), priority? (skip, low, normal, high) | wanted?}; the files after",
  "PUT /torrents/{ref}/piece-order": "Piece order: {sequential?, firstLastPiecePriority?}",
  "GET /torrents/{ref}/files/{index}":
    "File {index} (its place in the torrent), playable while it downloads: one Range (bytes=a-b, a-, -n) gives 206 with Content-Range, one past the end 416, none 200 with the whole file; Content-Type from the extension, Accept-Ranges: bytes. Bytes are sent only once their piece is verified; the torrent fetches the pieces a response waits for first",
  "HEAD /torrents/{ref}/files/{index}": "The headers GET would send for the file (and range)",
  "GET /torrents/{ref}/peers": "Its connected peers",
  "GET /torrents/{ref}/trackers":
    "Its trackers (id: place in the list, tier by tier) and their last answers",
  "POST /torrents/{ref}/trackers":
    "Add a tracker: {url (http, https, or udp with a port), tier? (absent: a new tier after the others)}; its trackers after. 400 invalid_input for a bad URL, 409 duplicate for one it has",
  "PUT /torrents/{ref}/trackers/{id}":
    "Replace a tracker's URL: {url}; its trackers after. 404 not_found for an unknown id, 400 invalid_input for a bad URL",
  "DELETE /torrents/{ref}/trackers/{id}":
    "Remove a tracker; its trackers after. 404 not_found for an unknown id",
  "GET /torrents/{ref}/pieces": "Its piece map: a BEP 3 bitfield, base64",
  "GET /torrents/{ref}/piece-activity":
    "Its live piece map: {pieceCount, piecesHave, have (BEP 3 bitfield, base64), availability (one byte per piece, base64: connected peers holding it, 255 = 255 or more), inFlight: [{piece, peers: [host:port]}]}",
  "GET /torrents/{ref}/torrent-file": "Its .torrent file, base64",
};

export function openApiDocument(): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorCodes = Object.keys(HTTP_STATUS);
  for (const r of ROUTES) {
    const path = r.path.replace(/:(\w+)/g, "{$1}");
    const op: Record<string, unknown> = {
      summary: SUMMARIES[`${r.method} ${path}`] ?? "",
      responses: r.raw
        ? {
            "200": { description: "The whole file" },
            "206": { description: "The range asked for (Content-Range)" },
            "416": { description: "A range past the end (Content-Range: bytes */size)" },
            default: { $ref: "#/components/responses/Error" },
          }
        : {
            [String(r.status ?? 200)]: { description: "JSON" },
            default: { $ref: "#/components/responses/Error" },
          },
    };
    const parameters = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema:
        m[1] === "index" || m[1] === "id" ? { type: "integer", minimum: 0 } : { type: "string" },
    }));
    if (parameters.length > 0) op.parameters = parameters;
    paths[`${API_PREFIX}${path}`] ??= {};
    paths[`${API_PREFIX}${path}`]![r.method.toLowerCase()] = op;
  }
  paths[`${API_PREFIX}/events`] = {
    get: {
      summary:
        "Server-Sent Events: every session event (added, metadata, state, completed, error, warning, removed) with an id, stats once a second; Last-Event-ID resumes, a `reset` event means fetch again; ?peers=1 adds peer events",
      responses: { "200": { description: "text/event-stream" } },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "shoal daemon",
      version: "1",
      description:
        "A thin HTTP adapter over shoal's api facade. Rates and limits in bytes/s, times in ms since the epoch. Errors: {error: {code, message}} with the status of its code.",
    },
    servers: [{ url: "/" }],
    security: [{ basic: [] }, { bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        basic: { type: "http", scheme: "basic" },
        bearer: { type: "http", scheme: "bearer" },
      },
      responses: {
        Error: {
          description: `An error; code → status: ${errorCodes.map((c) => `${c} ${HTTP_STATUS[c as keyof typeof HTTP_STATUS]}`).join(", ")}`,
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: {
                  error: {
                    type: "object",
                    properties: {
                      code: { type: "string", enum: errorCodes },
                      message: { type: "string" },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
