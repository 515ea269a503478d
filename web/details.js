// A torrent's details: its speed graph (the daemon's last ten minutes of its rates), files as a tree (file-tree.js), live
// piece map (piece-map.js), peers and trackers (tracker-list.js, editable), fetched again on every list
// refresh (once a second) while open, so they follow the download as it goes.
import htm from "htm";
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { FileTree } from "./file-tree.js";
import { formatProgress, formatRate } from "./format.js";
import { PieceMap } from "./piece-map.js";
import { SpeedGraph } from "./speed-graph.js";
import { TrackerList } from "./tracker-list.js";

const html = htm.bind(h);

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

/** `tick` changes on every list refresh: the files and pieces are fetched again then. */
export function Details({ t, tick, say, onClose }) {
  const [files, setFiles] = useState([]);
  const [pieces, setPieces] = useState(undefined);
  const [rates, setRates] = useState(undefined);
  const [peers, setPeers] = useState([]);
  const [trackers, setTrackers] = useState([]);
  const [again, setAgain] = useState(0);

  useEffect(() => {
    let live = true;
    Promise.all([
      call("GET", `/torrents/${t.infoHash}/files`),
      call("GET", `/torrents/${t.infoHash}/piece-activity`),
      call("GET", `/torrents/${t.infoHash}/peers`),
      call("GET", `/torrents/${t.infoHash}/trackers`),
      call("GET", `/torrents/${t.infoHash}/rates`),
    ]).then(
      ([f, p, c, r, h]) => {
        if (!live) return;
        setRates(h);
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
    <h3>Speed</h3>
    <${SpeedGraph} rates=${rates} label=${`Speed of ${t.name}`} />
    <h3>Files</h3>
    <${FileTree} t=${t} files=${files} say=${say} reload=${() => setAgain((n) => n + 1)} />
    <h3>Pieces</h3>
    <${PieceMap} activity=${pieces} />
    <h3>Peers</h3>
    <${PeerList} t=${t} peers=${peers} />
    <h3>Trackers</h3>
    <${TrackerList} t=${t} trackers=${trackers} setTrackers=${setTrackers} say=${say} />
  </section>`;
}
