// Play or open a torrent's file while it downloads (issue 17): the file's URL,
// GET /api/v1/torrents/<hash>/files/<n>, answers Range requests and sends each
// piece once verified, the daemon fetching first what the player waits for.
// Audio and video play in the browser's own player, under the file's row;
// anything else opens in a new tab (or downloads, for types the daemon will
// not show).
import htm from "htm";
import { h } from "preact";
import { useState } from "preact/hooks";
import { API } from "./api.js";

const html = htm.bind(h);
const VIDEO = new Set(["mp4", "m4v", "webm", "mkv", "mov", "ogv"]);
const AUDIO = new Set(["mp3", "m4a", "aac", "ogg", "oga", "opus", "flac", "wav", "weba"]);

/** "video", "audio" or undefined, from the file's extension. */
export function mediaKind(path) {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  return VIDEO.has(ext) ? "video" : AUDIO.has(ext) ? "audio" : undefined;
}

export function fileUrl(t, f) {
  return `${API}/torrents/${t.infoHash}/files/${f.index}`;
}

/** The row's control: Play (and the player once asked for) or Open. */
export function FilePlayer({ t, f }) {
  const [playing, setPlaying] = useState(false);
  if (!f.wanted) return null;
  const kind = mediaKind(f.path);
  const url = fileUrl(t, f);
  if (!kind) {
    return html`<a class="open-file" href=${url} target="_blank" rel="noopener" aria-label=${`Open ${f.path}`}>Open</a>`;
  }
  const Player = kind;
  return html`<button type="button" class="play-file" aria-pressed=${playing ? "true" : "false"}
      aria-label=${`${playing ? "Stop" : "Play"} ${f.path}`} onClick=${() => setPlaying(!playing)}>
      ${playing ? "Stop" : "Play"}</button>
    ${
      playing &&
      html`<${Player} class="player" src=${url} controls autoplay preload="auto"
      aria-label=${`Player of ${f.path}`} style=${{ display: "block", maxWidth: "100%" }} />`
    }`;
}
