// A torrent's details: its peers, trackers, files, each with a "download" checkbox (skip or
// normal priority, PUT /api/v1/torrents/<hash>/files), and its piece map
// (GET …/pieces, a BEP 3 bitfield, first piece in the high bit), fetched
// again on every list refresh so both follow the download as it goes.
import htm from "htm";
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { formatBytes, formatProgress, formatRate } from "./format.js";

const html = htm.bind(h);
/** Cells drawn at most: a bigger torrent's pieces are grouped, a cell full when all of its group are. */
const MAX_CELLS = 2048;

/** The bitfield's bits as booleans, grouped into at most MAX_CELLS cells (0..1 each). */
export function pieceCells(bitfieldBase64, pieceCount) {
  const bytes = Uint8Array.from(atob(bitfieldBase64), (c) => c.charCodeAt(0));
  const have = (i) => (bytes[i >> 3] >> (7 - (i & 7))) & 1;
  const per = Math.max(1, Math.ceil(pieceCount / MAX_CELLS));
  const cells = [];
  for (let start = 0; start < pieceCount; start += per) {
    const end = Math.min(pieceCount, start + per);
    let n = 0;
    for (let i = start; i < end; i++) n += have(i);
    cells.push(n / (end - start));
  }
  return cells;
}

function PieceMap({ pieces }) {
  if (!pieces || pieces.pieceCount === 0)
    return html`<p>No pieces yet (waiting for the metadata).</p>`;
  const cells = pieceCells(pieces.bitfield, pieces.pieceCount);
  const label = `${pieces.piecesHave} of ${pieces.pieceCount} pieces here`;
  return html`<figure class="piece-map-figure">
    <div class="piece-map" role="img" aria-label=${label} data-have=${pieces.piecesHave}>
      ${cells.map((f, i) => html`<span key=${i} class=${f >= 1 ? "have" : f > 0 ? "part" : ""}></span>`)}
    </div>
    <figcaption>${label}</figcaption>
  </figure>`;
}

function FileList({ t, files, say, reload }) {
  const setWanted = async (file, wanted) => {
    try {
      await call("PUT", `/torrents/${t.infoHash}/files`, { indices: [file.index], wanted });
    } catch (err) {
      say(`${file.path}: ${err.message}`, true);
    }
    reload();
  };
  if (files.length === 0) return html`<p>No files yet (waiting for the metadata).</p>`;
  return html`<table class="files" aria-label=${`Files of ${t.name}`}>
    <thead><tr><th scope="col">Download</th><th scope="col">File</th><th scope="col">Size</th><th scope="col">Done</th></tr></thead>
    <tbody>
      ${files
        .filter((f) => !f.padding)
        .map(
          (f) => html`<tr key=${f.index} data-file=${f.path}>
            <td><input type="checkbox" checked=${f.wanted} aria-label=${`Download ${f.path}`}
              onChange=${(e) => setWanted(f, e.currentTarget.checked)} /></td>
            <td class="name">${f.path}</td>
            <td>${formatBytes(f.length)}</td>
            <td>${f.wanted ? formatProgress(f.progress) : "skipped"}</td>
          </tr>`,
        )}
    </tbody>
  </table>`;
}

/** A peer connection's state in words (BEP 3's choke and interest, MSE, who dialled). */
function peerFlags(p) {
  const flags = [];
  if (p.seed) flags.push("seed");
  if (p.amInterested) flags.push(p.peerChoking ? "choked by it" : "downloading from it");
  if (p.peerInterested) flags.push(p.amChoking ? "choked by us" : "uploading to it");
  if (p.optimistic) flags.push("optimistic");
  if (p.encrypted) flags.push("encrypted");
  flags.push(p.outgoing ? "outgoing" : "incoming");
  return flags.join(", ");
}

function PeerList({ t, peers }) {
  if (peers.length === 0) return html`<p>No peers connected.</p>`;
  return html`<div class="table-wrap"><table class="peers" aria-label=${`Peers of ${t.name}`}>
    <thead><tr>
      <th scope="col">Address</th><th scope="col">Client</th><th scope="col">Source</th>
      <th scope="col">Has</th><th scope="col">Down</th><th scope="col">Up</th><th scope="col">State</th>
    </tr></thead>
    <tbody>
      ${peers.map(
        (p) => html`<tr key=${p.id} data-address=${p.address}>
          <td>${p.address}</td><td>${p.client ?? "–"}</td><td>${p.source}</td>
          <td>${formatProgress(p.progress)}</td><td>${formatRate(p.downloadRate)}</td>
          <td>${formatRate(p.uploadRate)}</td><td>${peerFlags(p)}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

function TrackerList({ t, trackers }) {
  if (trackers.length === 0) return html`<p>No trackers.</p>`;
  return html`<div class="table-wrap"><table class="trackers" aria-label=${`Trackers of ${t.name}`}>
    <thead><tr>
      <th scope="col">Tracker</th><th scope="col">Tier</th><th scope="col">Status</th>
      <th scope="col">Seeders</th><th scope="col">Leechers</th><th scope="col">Peers received</th>
      <th scope="col">Last announce</th>
    </tr></thead>
    <tbody>
      ${trackers.map(
        (r) => html`<tr key=${`${r.tier} ${r.url}`} data-url=${r.url} data-state=${r.state}>
          <td class="name">${r.url}</td><td>${r.tier}</td>
          <td>${r.state}${r.lastError ? `: ${r.lastError}` : r.lastWarning ? ` (${r.lastWarning})` : ""}</td>
          <td>${r.seeders ?? "–"}</td><td>${r.leechers ?? "–"}</td><td>${r.peersReceived}</td>
          <td>${r.lastAnnounceAgo === undefined ? "–" : `${r.lastAnnounceAgo} s ago`}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

/** `tick` changes on every list refresh: the files and pieces are fetched again then. */
export function Details({ t, tick, say, onClose }) {
  const [files, setFiles] = useState([]);
  const [pieces, setPieces] = useState(undefined);
  const [peers, setPeers] = useState([]);
  const [trackers, setTrackers] = useState([]);
  const [again, setAgain] = useState(0);

  useEffect(() => {
    let live = true;
    Promise.all([
      call("GET", `/torrents/${t.infoHash}/files`),
      call("GET", `/torrents/${t.infoHash}/pieces`),
      call("GET", `/torrents/${t.infoHash}/peers`),
      call("GET", `/torrents/${t.infoHash}/trackers`),
    ]).then(
      ([f, p, c, r]) => {
        if (!live) return;
        setTrackers(r);
        setFiles(f);
        setPieces(p);
        setPeers(c);
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [t.infoHash, tick, again]);

  return html`<section class="details" aria-label=${`Details of ${t.name}`}>
    <h2>${t.name}</h2>
    <button type="button" class="close" onClick=${onClose}>Close details</button>
    <h3>Files</h3>
    <${FileList} t=${t} files=${files} say=${say} reload=${() => setAgain((n) => n + 1)} />
    <h3>Pieces</h3>
    <${PieceMap} pieces=${pieces} />
    <h3>Peers</h3>
    <${PeerList} t=${t} peers=${peers} />
    <h3>Trackers</h3>
    <${TrackerList} t=${t} trackers=${trackers} />
  </section>`;
}
