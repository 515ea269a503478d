import { BencodeError } from "./errors.ts";

/**
 * Anything the canonical encoder accepts: bencode values plus the JS shapes
 * that map onto them naturally (strings as UTF-8, plain objects as dictionaries).
 * `undefined` dictionary entries are skipped, so optional fields need no ifs.
 */
export type Encodable =
  | Uint8Array
  | string
  | number
  | bigint
  | readonly Encodable[]
  | ReadonlyMap<string, Encodable | undefined>
  | { readonly [key: string]: Encodable | undefined };

/**
 * Canonical encoding (BEP 3): dictionary keys sorted by their raw bytes,
 * integers in shortest form. Map keys are latin1 (raw bytes, as the decoder
 * gives them); plain-object keys are text and are written as UTF-8.
 */
export function encode(value: Encodable): Buffer {
  const chunks: Buffer[] = [];
  write(value, chunks, 0);
  return Buffer.concat(chunks);
}

const MAX_ENCODE_DEPTH = 512;

function write(value: Encodable, out: Buffer[], depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) {
    throw new BencodeError("unencodable", 0, "value nests too deeply (or is circular)");
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    out.push(Buffer.from(`${bytes.length}:`, "latin1"), bytes);
  } else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new BencodeError(
        "unencodable",
        0,
        `${value} is not an integer bencode can carry exactly`,
      );
    }
    out.push(Buffer.from(`i${value}e`, "latin1"));
  } else if (typeof value === "bigint") {
    out.push(Buffer.from(`i${value}e`, "latin1"));
  } else if (value instanceof Uint8Array) {
    const bytes = Buffer.isBuffer(value)
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    out.push(Buffer.from(`${bytes.length}:`, "latin1"), bytes);
  } else if (Array.isArray(value)) {
    out.push(L);
    for (const item of value as readonly Encodable[]) write(item, out, depth + 1);
    out.push(E);
  } else if (value instanceof Map) {
    writeDict(
      [...(value as ReadonlyMap<string, Encodable | undefined>)].map(([k, v]) => [latin1Key(k), v]),
      out,
      depth,
    );
  } else if (typeof value === "object" && value !== null) {
    writeDict(
      Object.entries(value as Record<string, Encodable | undefined>).map(([k, v]) => [
        Buffer.from(k, "utf8"),
        v,
      ]),
      out,
      depth,
    );
  } else {
    throw new BencodeError("unencodable", 0, `cannot bencode a value of type ${typeof value}`);
  }
}

// Map keys are raw bytes as latin1 text; a character above U+00FF is not a
// byte, and Buffer.from(…, "latin1") would silently keep only its low 8 bits.
const NOT_LATIN1 = /[^\u0000-\u00ff]/;

function latin1Key(key: string): Buffer {
  if (NOT_LATIN1.test(key)) {
    throw new BencodeError(
      "unencodable",
      0,
      `Map key '${key.slice(0, 40)}' is not a byte string (latin1); use a plain object for text keys`,
    );
  }
  return Buffer.from(key, "latin1");
}

const L = Buffer.from("l");
const D = Buffer.from("d");
const E = Buffer.from("e");

function writeDict(entries: [Buffer, Encodable | undefined][], out: Buffer[], depth: number): void {
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  out.push(D);
  for (let i = 0; i < entries.length; i++) {
    const [key, v] = entries[i]!;
    if (v === undefined) continue;
    if (i > 0 && Buffer.compare(entries[i - 1]![0], key) === 0) {
      throw new BencodeError(
        "unencodable",
        0,
        `dictionary key '${key.toString("latin1")}' is given twice`,
      );
    }
    out.push(Buffer.from(`${key.length}:`, "latin1"), key);
    write(v, out, depth + 1);
  }
  out.push(E);
}
