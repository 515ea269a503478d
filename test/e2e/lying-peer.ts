/**
 * A malicious seeder for tests: speaks the wire protocol correctly, claims
 * every piece, and answers requests for the pieces in `lieAbout` with garbage.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { encodeHandshake, encodeMessage, WireFramer } from "../../src/wire/index.ts";

export interface LyingPeer {
  port: number;
  /** Blocks answered with garbage. */
  lies: number;
  close(): Promise<void>;
}

export async function startLyingPeer(opts: {
  infoHash: Buffer;
  data: Buffer;
  pieceLength: number;
  pieceCount: number;
  lieAbout: (piece: number) => boolean;
}): Promise<LyingPeer> {
  const peer: LyingPeer = { port: 0, lies: 0, close: async () => {} };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const framer = new WireFramer();
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      framer.push(chunk);
      try {
        for (let f = framer.next(); f; f = framer.next()) {
          if (f.kind === "handshake") {
            socket.write(encodeHandshake(opts.infoHash, Buffer.from("-XX0000-liar00000000")));
            const bits = Buffer.alloc(Math.ceil(opts.pieceCount / 8), 0xff);
            const spare = bits.length * 8 - opts.pieceCount;
            bits[bits.length - 1] = (0xff << spare) & 0xff;
            socket.write(encodeMessage({ type: "bitfield", bitfield: bits }));
            socket.write(encodeMessage({ type: "unchoke" }));
          } else if (f.message.type === "request") {
            const { index, begin, length } = f.message;
            const start = index * opts.pieceLength + begin;
            const lie = opts.lieAbout(index);
            if (lie) peer.lies++;
            const block = lie ? randomBytes(length) : opts.data.subarray(start, start + length);
            socket.write(encodeMessage({ type: "piece", index, begin, block }));
          }
        }
      } catch {
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  peer.port = typeof address === "object" && address ? address.port : 0;
  peer.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return peer;
}
