/**
 * The bencode data model (BEP 3): byte strings, integers, lists, dictionaries.
 *
 * Byte strings stay bytes (`Buffer`, usually a zero-copy slice of the input);
 * dictionary keys are byte strings too, kept as latin1 JS strings so every byte
 * value maps to exactly one character and back. A `Map` keeps the order the
 * keys had on the wire and cannot be confused by keys such as `__proto__`.
 */
export type BencodeValue = Buffer | number | bigint | BencodeList | BencodeDict;
export type BencodeList = BencodeValue[];
export type BencodeDict = Map<string, BencodeValue>;

export function isDict(v: BencodeValue | undefined): v is BencodeDict {
  return v instanceof Map;
}

export function isList(v: BencodeValue | undefined): v is BencodeList {
  return Array.isArray(v);
}

export function isBytes(v: BencodeValue | undefined): v is Buffer {
  return Buffer.isBuffer(v);
}

export function isInteger(v: BencodeValue | undefined): v is number | bigint {
  return typeof v === "number" || typeof v === "bigint";
}

/** A dictionary key as the bytes it was on the wire. */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, "latin1");
}

/** A byte string read as UTF-8 text (invalid sequences become U+FFFD). */
export function text(v: BencodeValue | undefined): string | undefined {
  return isBytes(v) ? v.toString("utf8") : undefined;
}
