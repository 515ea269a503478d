/**
 * Reads ../shared/corpus/EXPECTED.md: for each .torrent of other
 * implementations' test suites, what that peer's own tests expect and the
 * values computed over the raw info bytes. Tests skip when the corpus is absent.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

export const CORPUS = resolve(import.meta.dirname, "../../../shared/corpus");
export const TORRENTS = join(CORPUS, "torrents");
export const corpusPresent = existsSync(join(CORPUS, "EXPECTED.md"));
export const SKIP_REASON = corpusPresent ? false : `conformance corpus not found at ${CORPUS}`;

export interface CorpusRow {
  /** Path under corpus/torrents/. */
  file: string;
  peerVerdict: "OK" | "FAIL";
  peerAsserts: string;
  sha1?: string;
  name?: string;
  v1Files?: number;
  total?: number;
  pieceLength?: number;
}

// Section headings of EXPECTED.md §3 and the folders their rows live in.
const SECTION_FOLDERS: [RegExp, string[]][] = [
  [/^### libtorrent/, ["libtorrent"]],
  [/^### anacrolix/, ["anacrolix"]],
  [/^### rqbit/, ["rqbit"]],
  [/^### webtorrent/, ["parse-torrent", "webtorrent-fixtures"]],
  [/^### Transmission/, ["transmission"]],
];

export function listCorpusTorrents(dir = TORRENTS): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listCorpusTorrents(full));
    else if (name.endsWith(".torrent")) out.push(relative(TORRENTS, full));
  }
  return out.sort();
}

export function readExpectations(): CorpusRow[] {
  const lines = readFileSync(join(CORPUS, "EXPECTED.md"), "utf8").split("\n");
  const rows: CorpusRow[] = [];
  let folders: string[] | undefined;
  for (const line of lines) {
    const section = SECTION_FOLDERS.find(([re]) => re.test(line));
    if (section) folders = section[1];
    if (line.startsWith("## 4.")) break;
    if (!folders || !line.startsWith("| `")) continue;
    const cells = line.split(" | ");
    const rel = /^\| `([^`]+\.torrent)`/.exec(line)?.[1];
    if (!rel || cells.length < 5) continue;
    const file = folders.map((f) => `${f}/${rel}`).find((p) => existsSync(join(TORRENTS, p)));
    if (!file) throw new Error(`EXPECTED.md names ${rel}, which is not in the corpus`);
    const verdictCell = cells[1] ?? "";
    const observed = cells[cells.length - 1] ?? "";
    const row: CorpusRow = {
      file,
      peerVerdict: /FAIL/.test(verdictCell) ? "FAIL" : "OK",
      peerAsserts: cells[2] ?? "",
    };
    const sha1 = /sha1\(info\)=`([0-9a-f]{40})`/.exec(observed)?.[1];
    if (sha1) row.sha1 = sha1;
    const name = /name="((?:[^"\\]|\\.)*)"/.exec(observed)?.[1];
    if (name !== undefined) row.name = JSON.parse(`"${name}"`);
    const files = /v1 files=(\d+)/.exec(observed)?.[1];
    if (files) row.v1Files = Number(files);
    const total = /v1 files=\d+ total=(\d+)/.exec(observed)?.[1];
    if (total) row.total = Number(total);
    const pieceLength = /piece_len=(\d+)/.exec(observed)?.[1];
    if (pieceLength) row.pieceLength = Number(pieceLength);
    rows.push(row);
  }
  return rows;
}
