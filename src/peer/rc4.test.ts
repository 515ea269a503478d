import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { opensslHasRc4, Rc4, rc4 } from "./rc4.ts";
import { WasmRc4, wasmRc4Available } from "./rc4-wasm.ts";

test("RC4 in WebAssembly: the published test vectors (no drop)", () => {
  assert.ok(wasmRc4Available(), "Node 24 runs WebAssembly");
  const vectors: [string, string, string][] = [
    ["Key", "Plaintext", "bbf316e8d940af0ad3"],
    ["Wiki", "pedia", "1021bf0420"],
    ["Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5"],
  ];
  for (const [key, plain, cipher] of vectors) {
    assert.equal(new WasmRc4(Buffer.from(key)).update(Buffer.from(plain)).toString("hex"), cipher);
  }
});

test("RC4 in WebAssembly: the same keystream as the JavaScript one, at every length and across its slices", () => {
  const key = randomBytes(20);
  const wasm = rc4(key, "wasm");
  const js = rc4(key, "js");
  // 0-17 cover the eight-byte loop and its tail; 600 KiB spans several 256 KiB slices.
  for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 1000, 16_397, 600 * 1024]) {
    const data = randomBytes(n);
    assert.deepEqual(wasm.update(data), js.update(data), `${n} bytes`);
  }
  if (opensslHasRc4()) {
    const data = randomBytes(70_000);
    assert.deepEqual(rc4(key, "wasm").update(data), rc4(key, "openssl").update(data));
  }
});

test("RC4 in WebAssembly: ciphers used in turn keep their own state (one module serves all)", () => {
  const keys = [randomBytes(20), randomBytes(20), randomBytes(16)];
  const wasm = keys.map((k) => rc4(k, "wasm"));
  const js = keys.map((k) => rc4(k, "js"));
  for (let round = 0; round < 30; round++) {
    const which = round % 3 === 2 ? 0 : round % 3;
    const data = randomBytes(round * 53);
    assert.deepEqual(wasm[which]!.update(data), js[which]!.update(data), `round ${round}`);
  }
});

test("RC4: in place and writev batches give the bytes of one update, for every implementation", () => {
  const key = randomBytes(20);
  const chunks = [randomBytes(13), randomBytes(16_384), randomBytes(5), randomBytes(16_384)];
  const whole = Buffer.concat(chunks);
  const expected = rc4(key, "js").update(whole);
  const kinds = ["wasm", "js", ...(opensslHasRc4() ? ["openssl" as const] : [])] as const;
  for (const kind of kinds) {
    const batched = Buffer.alloc(whole.length + 7);
    rc4(key, kind).updatev(chunks, batched);
    assert.deepEqual(batched.subarray(0, whole.length), expected, `${kind} writev`);
    assert.deepEqual(batched.subarray(whole.length), Buffer.alloc(7), `${kind}: nothing past`);
    const inPlace = Buffer.from(whole);
    rc4(key, kind).updateInPlace(inPlace);
    assert.deepEqual(inPlace, expected, `${kind} in place`);
  }
  assert.notDeepEqual(expected, whole);
});

test("RC4-drop1024: every implementation's stream is the bare keystream past its first 1024 bytes", () => {
  const key = randomBytes(20);
  const data = randomBytes(3000);
  const bare = new Rc4(key).update(Buffer.concat([Buffer.alloc(1024), data])).subarray(1024);
  const kinds = ["wasm", "js", ...(opensslHasRc4() ? ["openssl" as const] : [])] as const;
  for (const kind of kinds) assert.deepEqual(rc4(key, kind).update(data), bare, kind);
});
