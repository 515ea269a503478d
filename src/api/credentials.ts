/**
 * Credentials of the control plane: passwords are kept only as scrypt
 * hashes (a slow, memory-hard KDF: a stolen config file does not give the
 * password away), written `scrypt$N$r$p$salt$hash` (base64). A password
 * that checked out is remembered (by a hash of the header, bounded), so a
 * client sending it with every request pays scrypt once.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** Cost parameters: N = 2^15 takes ~50 ms and 32 MiB here, as OWASP advises for scrypt. */
const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const MAX_MEMORY = 64 * 1024 * 1024;
/** Verified Authorization headers remembered (a few clients, each with one password). */
const MAX_REMEMBERED = 64;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, { N: n, r, p, maxmem: MAX_MEMORY }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const cost = [Number(n), Number(r), Number(p)];
  if (!cost.every((c) => Number.isInteger(c) && c > 0) || cost[0]! > 1 << 20) return false;
  const want = Buffer.from(hash, "base64");
  const got = await derive(password, Buffer.from(salt, "base64"), cost[0]!, cost[1]!, cost[2]!);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface CredentialSettings {
  username?: string;
  passwordHash?: string;
  tokens?: readonly string[];
}

/** Checks an Authorization header (Basic user:password, or Bearer token). */
export class Credentials {
  readonly #settings: CredentialSettings;
  readonly #remembered = new Set<string>();

  constructor(settings: CredentialSettings) {
    this.#settings = settings;
  }

  /** True when some credential is set (else everyone who reaches the port is let in). */
  get required(): boolean {
    return Boolean(this.#settings.passwordHash) || (this.#settings.tokens?.length ?? 0) > 0;
  }

  async check(header: string | undefined): Promise<boolean> {
    if (!this.required) return true;
    if (!header) return false;
    const [scheme, value = ""] = header.split(" ", 2);
    if (/^bearer$/i.test(scheme ?? "")) {
      return (this.#settings.tokens ?? []).some((t) => sameText(t, value.trim()));
    }
    if (!/^basic$/i.test(scheme ?? "") || !this.#settings.passwordHash) return false;
    const key = createHash("sha256").update(header).digest("base64");
    if (this.#remembered.has(key)) return true;
    const decoded = Buffer.from(value.trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const ok =
      sameText(user, this.#settings.username ?? "") &&
      (await verifyPassword(decoded.slice(colon + 1), this.#settings.passwordHash));
    if (ok) {
      if (this.#remembered.size >= MAX_REMEMBERED) this.#remembered.clear();
      this.#remembered.add(key);
    }
    return ok;
  }
}

function sameText(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}
