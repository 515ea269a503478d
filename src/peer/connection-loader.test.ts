/**
 * The connection class loads with the first negotiation, not with the peer
 * module (connection-loader.ts): checked in a fresh process, where no other
 * test has loaded it, by recording the modules that load.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const PEER_INDEX = new URL("./index.ts", import.meta.url).href;
const NET_INDEX = new URL("../net/index.ts", import.meta.url).href;

// Runs in the child: the modules loaded after importing peer/index.ts, then
// after a negotiation both ways over an in-memory pipe, and the connections
// opened on what the negotiations handed out.
const CHILD = `
import { registerHooks } from "node:module";
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
const peer = await import(${JSON.stringify(PEER_INDEX)});
const { createMemoryPipe } = await (await import(${JSON.stringify(NET_INDEX)})).loadMemoryNetwork();
const connectionLoaded = () => loaded.some((u) => u.endsWith("/peer/peer-connection.ts"));
const atImport = connectionLoaded();
let early;
try { peer.openPeerConnection(undefined, {}); } catch (err) { early = err.code; }
const infoHash = Buffer.alloc(20, 1);
const [a, b] = createMemoryPipe();
const [out, inc] = await Promise.all([
  peer.negotiateOutgoing(a, { infoHash, peerId: Buffer.from("-SH0100-aaaaaaaaaaaa") }),
  peer.negotiateIncoming(b, { lookup: () => ({ peerId: Buffer.from("-TR3000-bbbbbbbbbbbb") }) }),
]);
const afterNegotiation = connectionLoaded();
const geometry = { pieceCount: 2, pieceLength: 16384, totalLength: 20000 };
const conns = [out, inc].map((n) => peer.openPeerConnection(n, { geometry, listenPort: 6881 }));
await Promise.all(conns.map((c) => new Promise((resolve) => c.once("ready", resolve))));
const ready = conns.every((c) => c.ready);
for (const c of conns) c.close("done");
console.log(JSON.stringify({ atImport, early, afterNegotiation, ready }));
`;

test("the connection class loads with the first negotiation; the connections it hands out open at once", () => {
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!);
  assert.deepEqual(result, {
    atImport: false,
    early: "internal",
    afterNegotiation: true,
    ready: true,
  });
});
