/** RC4's key scheduling (KSA), shared by the JavaScript and WebAssembly ciphers. */
export function rc4KeySchedule(key: Uint8Array): Uint8Array {
  if (key.length === 0 || key.length > 256) throw new RangeError("an RC4 key is 1 to 256 bytes");
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  let j = 0;
  for (let i = 0; i < 256; i++) {
    const si = s[i]!;
    j = (j + si + key[i % key.length]!) & 255;
    s[i] = s[j]!;
    s[j] = si;
  }
  return s;
}
