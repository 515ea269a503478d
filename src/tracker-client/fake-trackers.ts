/**
 * Test support for this module's unit tests: scriptable HTTP and UDP trackers
 * on loopback that record what clients send. Not exported from index.ts.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AnnounceRequest,
  buildAnnounceReply,
  decodeUdpRequest,
  encodeAnnounceResponse,
  encodeCompactPeers,
  encodeConnectResponse,
  encodeScrapeResponse,
  parseAnnounceQuery,
  type UdpRequest,
} from "../tracker-proto/index.ts";

export interface HttpCall {
  path: string;
  /** Raw query text (latin1), exactly as sent. */
  query: string;
  /** The query parsed as an announce, when it is one. */
  announce: AnnounceRequest | undefined;
}

export type HttpHandler = (call: HttpCall, res: ServerResponse) => void;

/** Answers every announce with `interval` 1800 and no peers unless a handler says otherwise. */
export class FakeHttpTracker {
  readonly calls: HttpCall[] = [];
  handler: HttpHandler = (_call, res) => {
    res.end(buildAnnounceReply({ interval: 1800, peers: Buffer.alloc(0) }));
  };
  readonly #server: Server;
  readonly port: number;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(handler?: HttpHandler): Promise<FakeHttpTracker> {
    let self: FakeHttpTracker | undefined;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const raw = req.url ?? "/";
      const q = raw.indexOf("?");
      const path = q < 0 ? raw : raw.slice(0, q);
      const query = q < 0 ? "" : raw.slice(q + 1);
      let announce: AnnounceRequest | undefined;
      try {
        announce = parseAnnounceQuery(query);
      } catch {
        announce = undefined;
      }
      const call = { path, query, announce };
      self!.calls.push(call);
      self!.handler(call, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    self = new FakeHttpTracker(server, (server.address() as AddressInfo).port);
    if (handler) self.handler = handler;
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/announce`;
  }

  /** Events of the announces received, in order. */
  get events(): string[] {
    return this.calls.map((c) => c.announce?.event ?? "?");
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * `count` distinct ports on 127.0.0.1 with nothing listening (TCP and UDP), so
 * connections are refused. All are held open before any is released, so they
 * differ.
 */
export async function deadPorts(count: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const s = createSocket("udp4");
      await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
      return s;
    }),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export async function deadPort(): Promise<number> {
  return (await deadPorts(1))[0]!;
}

export type UdpHandler = (req: UdpRequest, rinfo: RemoteInfo, tracker: FakeUdpTracker) => void;

/**
 * A UDP tracker that answers connects with `connectionId` and announces with
 * `peers`, unless `handler` is replaced.
 */
export class FakeUdpTracker {
  readonly received: UdpRequest[] = [];
  readonly socket: Socket;
  connectionId = Buffer.from("0102030405060708", "hex");
  peers: { ip: string; port: number }[] = [];
  interval = 1800;
  handler: UdpHandler = (req, rinfo) => this.answer(req, rinfo);

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("message", (msg, rinfo) => {
      const req = decodeUdpRequest(msg);
      if (!req) return;
      this.received.push(req);
      this.handler(req, rinfo, this);
    });
  }

  static async start(family: 4 | 6 = 4): Promise<FakeUdpTracker> {
    const socket = createSocket(family === 4 ? "udp4" : "udp6");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, family === 4 ? "127.0.0.1" : "::1", () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return new FakeUdpTracker(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  get url(): string {
    const host = this.socket.address().family === "IPv6" ? "[::1]" : "127.0.0.1";
    return `udp://${host}:${this.port}/announce`;
  }

  count(action: UdpRequest["action"]): number {
    return this.received.filter((r) => r.action === action).length;
  }

  /** The default behaviour: a valid reply to a connect (any) or announce. */
  answer(req: UdpRequest, rinfo: RemoteInfo): void {
    if (req.action === "connect") {
      this.send(encodeConnectResponse(req.transactionId, this.connectionId), rinfo);
    } else if (req.action === "announce") {
      const family = rinfo.family === "IPv6" ? 6 : 4;
      this.send(
        encodeAnnounceResponse({
          transactionId: req.transactionId,
          interval: this.interval,
          leechers: 3,
          seeders: 2,
          peers: encodeCompactPeers(this.peers, family),
        }),
        rinfo,
      );
    } else {
      const counts = req.infoHashes.map(() => ({ seeders: 0, completed: 0, leechers: 0 }));
      this.send(encodeScrapeResponse(req.transactionId, counts), rinfo);
    }
  }

  send(packet: Buffer, rinfo: RemoteInfo): void {
    this.socket.send(packet, rinfo.port, rinfo.address);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
