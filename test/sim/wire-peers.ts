/**
 * Hand-made peers on the simulated network, speaking the wire protocol
 * (BEP 3, BEP 6) byte by byte rather than through the engine, to play the
 * parts a whole client would not: a connection that handshakes and then
 * asks for nothing, ever; a seeder that drops its connections after some
 * data, or starts listening late.
 */
import type { MemoryHost, Transport } from "../../src/net/index.ts";
import type { Clock } from "../../src/util/index.ts";
import { encodeHandshake, encodeMessage, WireFramer } from "../../src/wire/index.ts";

/** BEP 3 keep-alive: a zero length prefix. */
const KEEP_ALIVE = Buffer.alloc(4);

function peerId(tag: string): Buffer {
  return Buffer.from(`-XX0000-${tag}`.padEnd(20, "0").slice(0, 20));
}

/**
 * Dials `address:port`, handshakes for `infoHash`, tells it has no piece and
 * then only sends keep-alives (every 60 s, well inside any idle timeout):
 * an idle connection that holds a slot. Resolves once the other side has
 * answered the handshake; rejects if it refuses.
 */
export async function idleConnection(o: {
  host: MemoryHost;
  address: string;
  port: number;
  infoHash: Buffer;
  clock: Clock;
  tag: string;
}): Promise<{ transport: Transport; answered: Promise<boolean> }> {
  const transport = await o.host.dial(o.address, o.port);
  const framer = new WireFramer({ handshake: true });
  let resolveAnswered: (ok: boolean) => void = () => {};
  const answered = new Promise<boolean>((resolve) => {
    resolveAnswered = resolve;
  });
  transport.on("data", (chunk) => {
    try {
      framer.push(chunk);
      for (let f = framer.next(); f; f = framer.next()) {
        if (f.kind === "handshake") resolveAnswered(true);
      }
    } catch {
      transport.destroy();
    }
  });
  transport.on("close", () => resolveAnswered(false));
  transport.write(encodeHandshake(o.infoHash, peerId(o.tag), { fast: true }));
  transport.write(encodeMessage({ type: "have-none" }));
  const keepAlive = () => {
    if (transport.destroyed) return;
    transport.write(KEEP_ALIVE);
    o.clock.setTimeout(keepAlive, 60_000);
  };
  o.clock.setTimeout(keepAlive, 60_000);
  return { transport, answered };
}

export interface WireSeeder {
  /** Connections accepted so far. */
  connections: number;
  /** Payload bytes sent over all connections. */
  sent: number;
  stop(): void;
}

/**
 * A seeder holding `content`, listening on `host:port` from `listenAtMs`
 * (simulated time) on. Each connection is dropped once it has sent
 * `dropAfterBytes` of payload (the first `drops` connections only).
 */
export function startWireSeeder(o: {
  host: MemoryHost;
  port: number;
  infoHash: Buffer;
  content: Buffer;
  pieceLength: number;
  clock: Clock;
  listenAtMs?: number;
  dropAfterBytes?: number;
  drops?: number;
}): WireSeeder {
  const seeder: WireSeeder = { connections: 0, sent: 0, stop: () => {} };
  const open = new Set<Transport>();
  let stopped = false;
  const serve = (transport: Transport) => {
    seeder.connections++;
    open.add(transport);
    transport.on("close", () => open.delete(transport));
    const drops = seeder.connections <= (o.drops ?? Number.POSITIVE_INFINITY);
    const limit = drops ? (o.dropAfterBytes ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
    let sentHere = 0;
    const framer = new WireFramer({ handshake: true });
    transport.on("data", (chunk) => {
      try {
        framer.push(chunk);
        for (let f = framer.next(); f; f = framer.next()) {
          if (f.kind === "handshake") {
            transport.write(encodeHandshake(o.infoHash, peerId("seed"), { fast: true }));
            transport.write(encodeMessage({ type: "have-all" }));
            transport.write(encodeMessage({ type: "unchoke" }));
            continue;
          }
          const m = f.message;
          if (m.type !== "request") continue;
          const start = m.index * o.pieceLength + m.begin;
          const block = Buffer.from(o.content.subarray(start, start + m.length));
          transport.write(encodeMessage({ type: "piece", index: m.index, begin: m.begin, block }));
          sentHere += block.length;
          seeder.sent += block.length;
          if (sentHere >= limit) {
            transport.destroy();
            return;
          }
        }
      } catch {
        transport.destroy();
      }
    });
  };
  const listen = () => {
    if (stopped) return;
    const listener = o.host.listen(o.port);
    listener.on("connection", serve);
    seeder.stop = () => {
      stopped = true;
      void listener.close();
      for (const t of open) t.destroy();
    };
  };
  seeder.stop = () => {
    stopped = true;
  };
  if (o.listenAtMs) o.clock.setTimeout(listen, o.listenAtMs);
  else listen();
  return seeder;
}
