import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExtendedHandshake } from "../wire/index.ts";
import { PeerError } from "./errors.ts";
import { type ExtensionPeer, ExtensionRegistry } from "./extension-registry.ts";
import { connectPair, connectRaw, settle, until } from "./test-helpers.ts";

interface Received {
  peer: ExtensionPeer;
  payload: string;
}

/** A registry with `names` registered in order, recording what each receives. */
function registry(...names: string[]) {
  const reg = new ExtensionRegistry();
  const got = new Map<string, Received[]>();
  const handshakes: ExtendedHandshake[] = [];
  const closed: string[] = [];
  for (const name of names) {
    got.set(name, []);
    reg.register({
      name,
      handler: {
        onMessage: (peer, payload) => got.get(name)!.push({ peer, payload: payload.toString() }),
        onHandshake: (_peer, h) => {
          if (name === names[0]) handshakes.push(h);
        },
        onClose: () => closed.push(name),
      },
    });
  }
  return { reg, got, handshakes, closed };
}

test("registry: ids from 1 in order of registration; a name registers once", () => {
  const reg = new ExtensionRegistry();
  let changes = 0;
  reg.on("change", () => changes++);
  const handler = { onMessage: () => {} };
  assert.equal(reg.register({ name: "ut_metadata", handler }), 1);
  assert.equal(reg.register({ name: "ut_pex", handler }), 2);
  assert.deepEqual(reg.m, { ut_metadata: 1, ut_pex: 2 });
  assert.equal(reg.idOf("ut_pex"), 2);
  assert.equal(reg.get(1)?.name, "ut_metadata");
  assert.equal(reg.get(0), undefined, "0 is the handshake itself");
  assert.throws(
    () => reg.register({ name: "ut_pex", handler }),
    (e: unknown) => e instanceof PeerError && e.code === "duplicate_extension",
  );
  reg.metadataSize = 1234;
  reg.metadataSize = 1234;
  assert.equal(changes, 3, "two registrations and one size");
  assert.throws(() => {
    reg.metadataSize = -1;
  }, RangeError);
});

test("registry: the extended handshake advertises exactly what is registered, both ways", async () => {
  const A = registry("ut_metadata", "ut_pex");
  const B = registry("lt_donthave", "ut_pex");
  A.reg.metadataSize = 31_337;
  const { a, b } = await connectPair(
    { extensionRegistry: A.reg, listenPort: 6881, clientVersion: "shoal/9.9" },
    { extensionRegistry: B.reg, listenPort: 51413 },
  );
  const theirs = b.peerExtendedHandshake!;
  assert.deepEqual(Object.fromEntries(theirs.m), { ut_metadata: 1, ut_pex: 2 });
  assert.equal(theirs.v, "shoal/9.9");
  assert.equal(theirs.p, 6881);
  assert.equal(theirs.reqq, 500);
  assert.equal(theirs.metadataSize, 31_337);
  assert.deepEqual(theirs.yourip, Buffer.from([127, 0, 0, 1]), "A saw B at 127.0.0.1");
  assert.deepEqual(Object.fromEntries(a.peerExtendedHandshake!.m), { lt_donthave: 1, ut_pex: 2 });
  assert.equal(a.peerExtendedHandshake!.metadataSize, undefined, "B does not know it");
  // Handlers saw the peer's handshake.
  assert.equal(A.handshakes.length, 1);
  assert.equal(B.handshakes.length, 1);
  assert.ok(a.supportsExtension("ut_pex") && !a.supportsExtension("ut_metadata"));
  a.close();
});

test("registry: messages go out with the peer's id and in to our handler for that name", async () => {
  const A = registry("ut_metadata", "ut_pex");
  const B = registry("lt_donthave", "x_other", "ut_pex");
  const wire: number[] = [];
  const { a, b } = await connectPair(
    { extensionRegistry: A.reg },
    { extensionRegistry: B.reg },
    {},
    (conn) => conn.on("extended", (id) => wire.push(id)),
  );
  assert.equal(a.sendExtension("ut_pex", Buffer.from("from A")), true);
  assert.equal(b.sendExtension("ut_pex", Buffer.from("from B")), true);
  assert.equal(a.sendExtension("ut_metadata", Buffer.from("no")), false, "B lacks it");
  await until(() => B.got.get("ut_pex")!.length === 1 && A.got.get("ut_pex")!.length === 1);
  assert.equal(B.got.get("ut_pex")![0]!.payload, "from A");
  assert.equal(B.got.get("ut_pex")![0]!.peer, b);
  assert.deepEqual(wire, [3], "A used B's id for ut_pex");
  assert.equal(A.got.get("ut_pex")![0]!.payload, "from B");
  assert.equal(B.got.get("lt_donthave")!.length + B.got.get("x_other")!.length, 0);
  a.close();
  await settle();
  assert.deepEqual(A.closed, ["ut_metadata", "ut_pex"]);
  assert.deepEqual(B.closed, ["lt_donthave", "x_other", "ut_pex"]);
});

test("registry: a later registration or metadata_size reaches open connections", async () => {
  const A = registry("ut_pex");
  const { a, b } = await connectPair({ extensionRegistry: A.reg }, {});
  const updates: ExtendedHandshake[] = [];
  b.on("extended-handshake", (h) => updates.push(h));
  A.reg.register({ name: "ut_metadata", handler: { onMessage: () => {} } });
  A.reg.metadataSize = 4096;
  await until(() => updates.length === 2, "two updates");
  assert.deepEqual(Object.fromEntries(updates[1]!.m), { ut_pex: 1, ut_metadata: 2 });
  assert.equal(updates[1]!.metadataSize, 4096);
  assert.ok(b.supportsExtension("ut_metadata"));
  a.close();
  await settle();
  assert.equal(A.reg.listenerCount("change"), 0, "closed connections stop listening");
});

test("registry: a handler's ShoalError closes the connection; unknown ids are ignored", async () => {
  const reg = new ExtensionRegistry();
  reg.register({
    name: "ut_metadata",
    handler: {
      onMessage: () => {
        throw new PeerError("bad_request", "bad ut_metadata message");
      },
    },
  });
  const { conn, raw, closed } = await connectRaw({ extensionRegistry: reg });
  raw.send({ type: "extended", id: 0, payload: Buffer.from("d1:md6:ut_pexi1eee") });
  raw.send({ type: "extended", id: 7, payload: Buffer.from("nobody") });
  await settle();
  assert.equal(conn.closed, false);
  assert.ok(conn.supportsExtension("ut_pex"));
  raw.send({ type: "extended", id: 1, payload: Buffer.from("x") });
  await until(() => conn.closed, "close");
  assert.equal(closed.error?.code, "bad_request");
});

test("port (BEP 5): theirs is an event; ours goes to peers that set the DHT bit", async () => {
  const { conn, raw } = await connectRaw(
    { dhtPort: 6999 },
    { fast: true, extended: true, dht: true },
  );
  const ports: number[] = [];
  conn.on("port", (p) => ports.push(p));
  raw.send({ type: "port", port: 6881 });
  await until(() => ports.length === 1, "port event");
  assert.deepEqual(ports, [6881]);
  const ours = raw.messages().find((m) => m.type === "port");
  assert.deepEqual(ours, { type: "port", port: 6999 });
  conn.close();
  // No DHT bit from them: no port message from us.
  const quiet = await connectRaw({ dhtPort: 6999 }, { fast: true, extended: true });
  assert.equal(quiet.raw.types().includes("port"), false);
  quiet.conn.close();
});
