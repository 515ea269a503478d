import assert from "node:assert/strict";
import { test } from "node:test";
import { clientFromPeerId } from "./client-name.ts";

const id = (prefix: string) =>
  Buffer.concat([Buffer.from(prefix, "latin1"), Buffer.alloc(20)]).subarray(0, 20);

test("client names from peer ids (BEP 20)", () => {
  assert.equal(clientFromPeerId(id("-TR3000-")), "Transmission 3.00");
  assert.equal(clientFromPeerId(id("-TR2940-")), "Transmission 2.94");
  assert.equal(clientFromPeerId(id("-TR4050-")), "Transmission 4.0.5");
  assert.equal(clientFromPeerId(id("-lt0D80-")), "libTorrent (rTorrent) 0.13.8");
  assert.equal(clientFromPeerId(id("-LT2090-")), "libtorrent 2.0.9");
  assert.equal(clientFromPeerId(id("-qB4400-")), "qBittorrent 4.4.0");
  assert.equal(clientFromPeerId(id("-UT355W-")), "µTorrent 3.5.5");
  assert.equal(clientFromPeerId(id("-DE2110-")), "Deluge 2.1.1");
  assert.equal(clientFromPeerId(id("-SH0100-")), "shoal 0.1.0");
  assert.equal(clientFromPeerId(id("A2-1-37-0-")), "aria2 1.37.0");
  assert.equal(clientFromPeerId(id("M7-4-3--")), "BitTorrent 7.4.3");
  assert.equal(clientFromPeerId(id("T03I--")), "BitTornado 0.3.18");
  assert.equal(clientFromPeerId(id("-ZZ1234-")), "unknown (-ZZ1234-)");
  assert.equal(clientFromPeerId(Buffer.alloc(20)), "unknown (........)");
});
