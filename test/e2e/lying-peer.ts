/**
 * A malicious seeder for tests: speaks the wire protocol correctly, claims
 * every piece, and answers requests for the pieces in `lieAbout` with garbage;
 * or, given a `policy`, decides for each request: the truth, garbage, or a
 * refusal (BEP 6 reject: the fast extension is offered then).
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { encodeHandshake, encodeMessage, WireFramer } from "../../src/wire/index.ts";

/** What the liar does with one request. */
export type LiePolicy = (piece: number, begin: number) => "truth" | "corrupt" | "reject";

export interface LyingPeer {
  port: number;
  /** Blocks answered with garbage. */
  lies: number;
  /** Requests refused. */
  refusals: number;
  close(): Promise<void>;
}

export async function startLyingPeer(opts: {
  infoHash: Buffer;
  data: Buffer;
  pieceLength: number;
  pieceCount: number;
  lieAbout?: (piece: number) => boolean;
  policy?: LiePolicy;
}): Promise<LyingPeer> {
  const peer: LyingPeer = { port: 0, lies: 0, refusals: 0, close: async () => {} };
  const lieAbout = opts.lieAbout;
  const policy: LiePolicy = opts.policy ?? ((piece) => (lieAbout?.(piece) ? "corrupt" : "truth"));
  const fast = opts.policy !== undefined;
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
            socket.write(
              encodeHandshake(opts.infoHash, Buffer.from("-XX0000-liar00000000"), { fast }),
            );
            const bits = Buffer.alloc(Math.ceil(opts.pieceCount / 8), 0xff);
            const spare = bits.length * 8 - opts.pieceCount;
            bits[bits.length - 1] = (0xff << spare) & 0xff;
            socket.write(encodeMessage({ type: "bitfield", bitfield: bits }));
            socket.write(encodeMessage({ type: "unchoke" }));
          } else if (f.message.type === "request") {
            const { index, begin, length } = f.message;
            const start = index * opts.pieceLength + begin;
            const what = policy(index, begin);
            if (what === "reject" && fast) {
              peer.refusals++;
              socket.write(encodeMessage({ type: "reject", index, begin, length }));
              continue;
            }
            const lie = what !== "truth";
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
