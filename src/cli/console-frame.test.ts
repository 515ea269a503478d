import assert from "node:assert/strict";
import { test } from "node:test";
import type { PeerView, TorrentSummary } from "../api/index.ts";
import { shareRatio } from "../session/index.ts";
import { type ConsoleSnapshot, renderConsole } from "./console-frame.ts";
import { pieceBar, shortPeerId } from "./format.ts";

function peer(over: Partial<PeerView>): PeerView {
  return {
    id: "x",
    address: "127.0.0.1:6881",
    peerId: `${Buffer.from("-SH0100-").toString("hex")}abcdef0123456789abcdef01`,
    client: "shoal 0.1.0",
    outgoing: true,
    encrypted: false,
    source: "tracker",
    seed: false,
    progress: 0.5,
    downloadRate: 0,
    uploadRate: 0,
    downloaded: 0,
    uploaded: 0,
    amChoking: true,
    amInterested: false,
    peerChoking: true,
    peerInterested: false,
    requests: 0,
    optimistic: false,
    downloadPiece: undefined,
    downloadPieceProgress: 0,
    uploadPiece: undefined,
    uploadPieceProgress: 0,
    ...over,
  };
}

/** A torrent's summary; its ratio as the session computes it from the figures given. */
function stats(over: Partial<TorrentSummary>): TorrentSummary {
  const s: TorrentSummary = {
    id: 1,
    infoHash: "00".repeat(20),
    name: "a-rather-long-torrent-name-that-goes-on-and-on-and-on-forever-and-ever.iso",
    state: "downloading",
    hasMetadata: true,
    size: 1 << 20,
    pieceCount: 16,
    pieceLength: 64 * 1024,
    piecesHave: 8,
    progress: 0.5,
    left: 1 << 19,
    downloaded: 0,
    uploaded: 3 << 20,
    wasted: 0,
    hashFailures: 0,
    ratio: 0,
    downloadRate: 1 << 20,
    uploadRate: 1 << 19,
    peers: 3,
    seeds: 0,
    banned: 0,
    addedAt: 0,
    downloadDir: "/downloads",
    limits: { upload: 0, download: 0 },
    sizeWanted: over.size ?? 1 << 20,
    leftWanted: over.left ?? 0,
    sequential: false,
    firstLastPiecePriority: false,
    queuePosition: 0,
    queued: false,
    labels: [],
    uploadedEver: over.uploaded ?? 0,
    downloadedEver: over.downloaded ?? 0,
    ...over,
  };
  return { ...s, ratio: over.ratio ?? shareRatio(s) };
}

const snapshot: ConsoleSnapshot = {
  peerId: "-SH0100-00112233445566778899aabb",
  listen: "0.0.0.0:6881",
  trackers: ["http://127.0.0.1:6969/announce"],
  uploadLimit: 2_000_000,
  downloadLimit: Number.POSITIVE_INFINITY,
  torrents: [
    {
      stats: stats({}),
      peers: [
        // A seed we download from, which chokes us now.
        peer({
          address: "127.0.0.1:40001",
          seed: true,
          amInterested: true,
          peerChoking: true,
          downloadRate: 1000,
          downloadPiece: 7,
          downloadPieceProgress: 0.25,
        }),
        // A peer trading both ways.
        peer({
          address: "127.0.0.1:40002",
          amInterested: true,
          peerChoking: false,
          downloadRate: 500_000,
          downloadPiece: 3,
          downloadPieceProgress: 0.5,
          amChoking: false,
          peerInterested: true,
          uploadRate: 300_000,
          uploadPiece: 9,
          uploadPieceProgress: 0.75,
        }),
        // A leecher that only takes.
        peer({
          address: "127.0.0.1:40003",
          amChoking: false,
          peerInterested: true,
          uploadRate: 200_000,
          uploadPiece: 2,
          uploadPieceProgress: 1,
        }),
        // Idle: neither list.
        peer({ address: "127.0.0.1:40004" }),
      ],
    },
  ],
};

test("renderConsole: header, both sections, roles, choke mark, 80 columns", () => {
  const lines = renderConsole(snapshot);
  const text = lines.join("\n");
  for (const l of lines) assert.ok(l.length <= 80, l);
  assert.equal(lines[0], "shoal  peer -SH0100-00112233445566778899aabb");
  assert.match(text, /^max rates: ↓ unlimited {2}↑ 1\.91 MiB\/s$/m);
  assert.match(text, /^trackers: http:\/\/127\.0\.0\.1:6969\/announce$/m);
  const down = text.slice(
    text.indexOf("Downloads in progress"),
    text.indexOf("Uploads in progress"),
  );
  const up = text.slice(text.indexOf("Uploads in progress"));
  assert.match(down, /50\.0% {2}8\/16 pieces/);
  // Fastest first; the seed that chokes us is marked `ch`.
  assert.match(down, /488\.3 KiB\/s peer {4}127\.0\.0\.1:40002 +SH0100\.abcdef +3 +50%\n/);
  assert.match(down, /1000 B\/s seed {4}127\.0\.0\.1:40001 +SH0100\.abcdef +7 +25% {2}ch\n/);
  assert.ok(down.indexOf("40002") < down.indexOf("40001"));
  assert.doesNotMatch(down, /40003|40004/);
  assert.match(up, /uploaded 3\.00 MiB/);
  assert.match(up, /293\.0 KiB\/s peer {4}127\.0\.0\.1:40002 +SH0100\.abcdef +9 +75%/);
  assert.match(up, /195\.3 KiB\/s leecher 127\.0\.0\.1:40003 +SH0100\.abcdef +2 +100%/);
  assert.doesNotMatch(up, /40001|40004/);
});

test("renderConsole: bytes of the whole, ETA and peers under a download; ratio for uploads", () => {
  const text = renderConsole(snapshot).join("\n");
  const down = text.slice(text.indexOf("Downloads in progress"), text.indexOf("Uploads"));
  // 512 KiB left at 1 MiB/s.
  assert.match(down, /\n {3}512\.0 KiB of 1\.00 MiB {2}ETA 1s {2}3 peers\n/);
  // 3 MiB sent against the 512 KiB we hold (nothing downloaded this session).
  assert.match(text.slice(text.indexOf("Uploads")), /uploaded 3\.00 MiB {2}ratio 6\.00 {2}↑ /);
  const stalled = renderConsole({
    ...snapshot,
    torrents: [{ stats: stats({ downloadRate: 0, peers: 1, uploaded: 0 }), peers: [] }],
  }).join("\n");
  assert.match(stalled, /512\.0 KiB of 1\.00 MiB {2}ETA – {2}1 peer\n/);
  assert.match(stalled, /ratio 0\.00/);
});

test("renderConsole: cuts peer rows to fit the height, and says how many", () => {
  const many = Array.from({ length: 30 }, (_, i) =>
    peer({ address: `127.0.0.1:${41000 + i}`, amInterested: true, downloadRate: i }),
  );
  const lines = renderConsole(
    { ...snapshot, torrents: [{ stats: stats({}), peers: many }] },
    { maxLines: 20 },
  );
  assert.ok(lines.length <= 20, String(lines.length));
  assert.match(lines.join("\n"), / {2}… \d+ more/);
  const seeding = renderConsole({
    ...snapshot,
    torrents: [{ stats: stats({ state: "seeding", left: 0, progress: 1 }), peers: [] }],
  });
  assert.match(seeding.join("\n"), /Downloads in progress\n {2}\(none\)/);
  assert.match(
    seeding.join("\n"),
    /Uploads in progress\n .*uploaded 3\.00 MiB.*\n {2}\(no peers\)/,
  );
});

test("shortPeerId and pieceBar", () => {
  assert.equal(shortPeerId(undefined), "?");
  assert.equal(shortPeerId(Buffer.from("-qB4650-abcdefghijkl").toString("hex")), "qB4650.616263");
  assert.equal(shortPeerId("ff".repeat(20)), "fffffffffffff");
  assert.equal(
    pieceBar((i) => i < 4, 8, 4),
    "##--",
  );
  assert.equal(
    pieceBar((i) => i === 0, 8, 4),
    "+---",
  );
  assert.equal(
    pieceBar(() => true, 3, 6),
    "######",
  );
  assert.equal(
    pieceBar(() => false, 0, 6),
    "",
  );
});

test("a magnet link's torrent before its metadata: fetching metadata from N peers", () => {
  const frame = renderConsole({
    ...snapshot,
    torrents: [
      {
        stats: stats({
          name: "from a magnet link",
          state: "metadata",
          hasMetadata: false,
          metadataPeers: 2,
          size: 0,
          left: 0,
          pieceCount: 0,
          piecesHave: 0,
          progress: 0,
          peers: 3,
        }),
        peers: [],
      },
    ],
  });
  const at = frame.indexOf("Downloads in progress");
  assert.ok(at >= 0);
  assert.match(frame[at + 1]!, /^ from a magnet link\s+fetching metadata from 2 peers$/);
  assert.equal(frame[at + 2], "   3 peers connected");
});
