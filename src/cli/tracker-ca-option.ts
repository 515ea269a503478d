/**
 * `--tracker-ca <file>`: the certificates (PEM) to trust for https trackers
 * instead of the system's, for a tracker with its own CA. Certificates are
 * always verified; there is no switch to turn that off.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { CliIO } from "./io.ts";
import { UsageError } from "./io.ts";

export const TRACKER_CA_HELP = `      --tracker-ca <file>     trust these certificates (PEM) for https trackers
`;

export async function trackerCaOption(
  file: string | undefined,
  io: CliIO,
): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  let pem: Buffer;
  try {
    pem = await readFile(resolve(io.cwd, file));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`--tracker-ca: cannot read ${file} (${why})`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(`--tracker-ca: ${file} holds no PEM certificate`);
  }
  return pem;
}

/**
 * For the commands that talk to a tracker's index through `fetch` (`list`,
 * `publish`), which takes no per-request CA: the certificates of `--tracker-ca`
 * become this process's trusted ones, in place of the system's (as the option
 * says). A one-shot command talks to that one tracker only.
 */
export async function trustTrackerCa(file: string | undefined, io: CliIO): Promise<void> {
  const pem = await trackerCaOption(file, io);
  if (pem === undefined) return;
  const certs =
    pem.toString("latin1").match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ??
    [];
  // Loaded here only: most commands never open a TLS connection.
  process.getBuiltinModule("node:tls").setDefaultCACertificates(certs);
}
