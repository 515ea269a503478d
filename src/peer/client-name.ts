/**
 * Which program a peer runs, from its peer id (BEP 20). Two conventions:
 * Azureus style `-XXvvvv-` (two letters, four version characters) and
 * Shadow / Mainline style (one letter then the version). A peer's BEP 10 `v`
 * is more reliable when it sends one; this is the fallback and the cross-check.
 */

/** Azureus-style codes, from BEP 20 and the clients seen in swarms today. */
const AZUREUS: Record<string, string> = {
  AZ: "Vuze",
  BC: "BitComet",
  BI: "BiglyBT",
  BT: "BitTorrent",
  DE: "Deluge",
  FD: "Free Download Manager",
  FG: "FlashGet",
  GT: "anacrolix/torrent",
  KT: "KTorrent",
  LT: "libtorrent",
  lt: "libTorrent (rTorrent)",
  PI: "PicoTorrent",
  qB: "qBittorrent",
  SD: "Thunder",
  SH: "shoal",
  SZ: "Shareaza",
  TL: "Tribler",
  TR: "Transmission",
  UM: "µTorrent for Mac",
  UT: "µTorrent",
  UW: "µTorrent Web",
  WD: "WebTorrent Desktop",
  WW: "WebTorrent",
  XL: "Xunlei",
};

/** Shadow-style single letters (BEP 20). */
const SHADOW: Record<string, string> = {
  A: "ABC",
  O: "Osprey Permaseed",
  Q: "BTQueue",
  R: "Tribler",
  S: "Shadow",
  T: "BitTornado",
  U: "UPnP NAT Bit Torrent",
};

/** A version character: 0–9, then A–Z for 10–35 (BEP 20). */
function versionDigit(c: string | undefined): number | undefined {
  if (c === undefined) return undefined;
  if (c >= "0" && c <= "9") return c.charCodeAt(0) - 48;
  if (c >= "A" && c <= "Z") return c.charCodeAt(0) - 55;
  return undefined;
}

function azureusVersion(code: string, v: string): string {
  const d = [...v].map(versionDigit);
  if (code === "TR") {
    // Transmission: -TR2940- is 2.94, -TR3000- is 3.00; from 4.0 on, -TR4050- is 4.0.5.
    if (d[0] !== undefined && d[0] <= 3) return `${d[0]}.${v[1]}${v[2]}`;
    return `${d[0]}.${d[1]}.${d[2]}`;
  }
  const parts: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (d[i] === undefined) break;
    parts.push(d[i]!);
  }
  // The fourth character is a build number when it is a non-zero digit, else a flag (µTorrent's "W").
  if (parts.length === 3 && v[3] !== undefined && v[3] >= "1" && v[3] <= "9") parts.push(d[3]!);
  return parts.join(".");
}

function printable(id: Uint8Array): string {
  let s = "";
  for (const b of id.subarray(0, 8)) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
  return s;
}

/** "Transmission 3.00", "qBittorrent 4.4.0", "aria2 1.37.0"; "unknown (…)" otherwise. */
export function clientFromPeerId(id: Uint8Array): string {
  const head = Buffer.from(id.subarray(0, 20)).toString("latin1");
  const az = /^-([A-Za-z~]{2})([0-9A-Za-z]{4})-/.exec(head);
  if (az) {
    const name = AZUREUS[az[1]!];
    if (name) {
      const version = azureusVersion(az[1]!, az[2]!);
      return version ? `${name} ${version}` : name;
    }
    return `unknown (${head.slice(0, 8)})`;
  }
  const aria2 = /^A2-(\d+)-(\d+)-(\d+)-/.exec(head);
  if (aria2) return `aria2 ${aria2[1]}.${aria2[2]}.${aria2[3]}`;
  const mainline = /^M(\d+)-(\d+)-(\d+)-/.exec(head);
  if (mainline) return `BitTorrent ${mainline[1]}.${mainline[2]}.${mainline[3]}`;
  const shadow = /^([A-Z])([0-9A-Za-z.]{1,5})-{1,5}/.exec(head);
  if (shadow && SHADOW[shadow[1]!]) {
    const version = [...shadow[2]!]
      .map(versionDigit)
      .filter((n) => n !== undefined)
      .join(".");
    return `${SHADOW[shadow[1]!]} ${version}`;
  }
  return `unknown (${printable(id)})`;
}
