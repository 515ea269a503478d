/**
 * Reads the 68-byte BEP 3 handshake of an incoming connection, so the
 * session can route it to the torrent its info hash names. Bytes that arrive
 * after the handshake are handed on, so nothing is lost.
 */
import type { Transport } from "../net/index.ts";
import type { Clock } from "../util/index.ts";
import { decodeHandshake, HANDSHAKE_LENGTH, type Handshake, WireError } from "../wire/index.ts";

export function readHandshake(
  transport: Transport,
  clock: Clock,
  timeoutMs: number,
): Promise<{ handshake: Handshake; leftover: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (err?: Error, value?: { handshake: Handshake; leftover: Buffer }) => {
      clock.clearTimeout(timer);
      transport.off("data", onData);
      transport.off("close", onClose);
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk)); // a transport's chunk is only lent to us
      length += chunk.length;
      // Refuse a non-BitTorrent client on its first byte rather than after 68.
      if (chunks[0]![0] !== 19)
        return finish(new WireError("bad_protocol", "not a BitTorrent handshake"));
      if (length < HANDSHAKE_LENGTH) return;
      const all = Buffer.concat(chunks);
      try {
        finish(undefined, {
          handshake: decodeHandshake(all.subarray(0, HANDSHAKE_LENGTH)),
          leftover: all.subarray(HANDSHAKE_LENGTH),
        });
      } catch (err) {
        finish(err as Error);
      }
    };
    const onClose = () => finish(new WireError("bad_protocol", "closed before its handshake"));
    const timer = clock.setTimeout(
      () => finish(new WireError("bad_protocol", "no handshake in time")),
      timeoutMs,
    );
    transport.on("data", onData);
    transport.on("close", onClose);
  });
}
