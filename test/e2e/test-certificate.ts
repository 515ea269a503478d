/** A self-signed certificate for 127.0.0.1, made by Debian's openssl in `dir` (HTTPS tests). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export function makeTestCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  // biome-ignore format: openssl's options read best in their pairs
  const made = spawnSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1",
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  assert.equal(made.status, 0, made.stderr);
  return { cert, key };
}
