/**
 * `--no-pex` as a user runs it: `shoal seed --no-pex` (and `shoal daemon
 * --no-pex`) must neither offer
 * ut_pex in its BEP 10 handshake nor send a ut_pex message (BEP 11), while
 * the same seed without the switch does both (the control: the test can fail).
 * Two raw peers connect, each naming a listen port (BEP 10 `p`), so the seed
 * has somebody to tell each of them about.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import type { Socket } from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import { decode } from "../../src/bencode/index.ts";
import {
  decodeExtendedHandshake,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeMessage,
  WireFramer,
} from "../../src/wire/index.ts";
import { daemonChild } from "../daemon/daemon-child.ts";
import { call } from "../daemon/daemon-helpers.ts";
import { Children } from "../interop/helpers.ts";
import {
  destroyRawConnections,
  freePort,
  rawConnect,
  type Shoal,
  sleep,
  spawnLoopbackSeed,
} from "./hostile-helpers.ts";
import { type Fixture, makeFixture, removeFixture } from "./swarm-helpers.ts";

/** Our id for ut_pex in our handshake: their PEX messages to us carry it. */
const OUR_PEX_ID = 7;

let fixture: Fixture | undefined;
const seeds: Shoal[] = [];
const children = new Children();
after(async () => {
  destroyRawConnections();
  for (const s of seeds) await s.stop();
  await children.stopAll();
  if (fixture) await removeFixture(fixture);
});

interface Heard {
  /** Their BEP 10 handshake's `m`. */
  m: Map<string, number> | undefined;
  /** ut_pex messages they sent us. */
  pex: number;
}

/** A raw peer that offers ut_pex and names a listen port, recording what it hears. */
async function listen(
  port: number,
  infoHash: Buffer,
  n: number,
): Promise<{ s: Socket; heard: Heard }> {
  const s = await rawConnect(port);
  const heard: Heard = { m: undefined, pex: 0 };
  const framer = new WireFramer();
  s.on("data", (chunk: Buffer) => {
    framer.push(chunk);
    for (let f = framer.next(); f; f = framer.next()) {
      if (f.kind !== "message" || f.message.type !== "extended") continue;
      if (f.message.id === 0) heard.m = decodeExtendedHandshake(f.message.payload).m;
      else if (f.message.id === OUR_PEX_ID) {
        decode(f.message.payload); // a well-formed dictionary
        heard.pex++;
      }
    }
  });
  const id = Buffer.from(`-XX0000-pexprobe${String(n).padStart(4, "0")}`, "latin1");
  s.write(encodeHandshake(infoHash, id, { extended: true }));
  const ours = encodeExtendedHandshake({ m: { ut_pex: OUR_PEX_ID }, p: 40_000 + n });
  s.write(encodeMessage({ type: "extended", id: 0, payload: ours }));
  return { s, heard };
}

/** Waits (bounded) until `pred` holds; the caller's asserts say what was missed. */
async function until(pred: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await sleep(50);
}

/**
 * Two raw peers on `port`, and what each heard: once both have its BEP 10 handshake,
 * either until each got a PEX message (`pex`) or for 4 s more, past BEP 11's first message
 * (it may wait 2 s for connections to settle). Waiting on what was heard, not a fixed 4 s
 * from connecting: a loaded machine can take most of that to answer the handshake.
 */
async function probe(port: number, infoHash: Buffer, pex: boolean): Promise<Heard[]> {
  const peers = [await listen(port, infoHash, 1), await listen(port, infoHash, 2)];
  await until(() => peers.every((p) => p.heard.m !== undefined));
  if (pex) await until(() => peers.every((p) => p.heard.pex > 0));
  else await sleep(4000);
  for (const p of peers) p.s.destroy();
  return peers.map((p) => p.heard);
}

function assertNoPex(heard: Heard[], who: string): void {
  for (const h of heard) {
    assert.ok(h.m, `${who}: it sent its BEP 10 handshake`);
    assert.equal(h.m.get("ut_pex"), undefined, `${who}: ut_pex is not offered`);
    assert.equal(h.pex, 0, `${who}: no PEX message`);
  }
}

async function torrentFixture(): Promise<{ f: Fixture; infoHash: Buffer; torrentPath: string }> {
  if (!fixture) fixture = await makeFixture(256 * 1024, 16 * 1024);
  const f = fixture;
  const torrentPath = join(f.dir, "t.torrent");
  await writeFile(torrentPath, f.torrentFile);
  return { f, infoHash: Buffer.from(f.meta.infoHash), torrentPath };
}

test("shoal seed --no-pex offers no ut_pex and sends no PEX message; without it, it does both", async () => {
  const { f, infoHash, torrentPath } = await torrentFixture();
  for (const noPex of [true, false]) {
    const port = await freePort();
    const dataDir = join(f.dir, `seed-data-${noPex}`);
    const seed = await spawnLoopbackSeed(torrentPath, f.seedDir, port, dataDir, [
      ...(noPex ? ["--no-pex"] : []),
    ]);
    seeds.push(seed);
    const heard = await probe(port, infoHash, !noPex);
    if (noPex) assertNoPex(heard, "seed --no-pex");
    else {
      for (const h of heard) {
        assert.ok((h.m?.get("ut_pex") ?? 0) > 0, "PEX on: ut_pex is offered");
        assert.ok(h.pex > 0, "PEX on: the other peer is told of");
      }
    }
    await seed.stop();
  }
});

test("shoal daemon --no-pex: its torrents offer no ut_pex and send no PEX message", async () => {
  const { f, infoHash, torrentFile } = {
    ...(await torrentFixture()),
    torrentFile: fixture!.torrentFile,
  };
  const root = join(f.dir, "daemon");
  await mkdir(root, { recursive: true });
  const d = await daemonChild(children, root, f.seedDir, ["--no-pex", "--no-dht"]);
  await d.start("daemon --no-pex", 0);
  const added = await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: Buffer.from(torrentFile).toString("base64") },
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const t = [...(await d.byName()).values()][0];
    if (t && (t.state === "seeding" || t.state === "downloading")) break;
    await sleep(200);
  }
  assertNoPex(await probe(d.peerPort, infoHash, false), "daemon --no-pex");
});
