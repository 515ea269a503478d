/**
 * The tracker server's socket layers (tcp-link-factory.ts with node:net's
 * listener and libuv's, udp-link-factory.ts with node:dgram's link and
 * libuv's), loaded with the first listener or link made, or the first
 * question whether libuv's handles are there: no other command serves a
 * tracker, and a daemon loaded the six modules at every start. Loaded synchronously
 * (require of an ES module) as the servers make them synchronously;
 * nothing imports these files otherwise, so no asynchronous import of them
 * can be under way meanwhile.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

type TcpLinkFactory = typeof import("./tcp-link-factory.ts");
type UdpLinkFactory = typeof import("./udp-link-factory.ts");

/** tcp-link-factory.ts's createTcpLinkListener, its module loaded first. */
export const createTcpLinkListener: TcpLinkFactory["createTcpLinkListener"] = (...args) =>
  (require("./tcp-link-factory.ts") as TcpLinkFactory).createTcpLinkListener(...args);

/** udp-link-factory.ts's createUdpLink, its module loaded first. */
export const createUdpLink: UdpLinkFactory["createUdpLink"] = (...args) =>
  (require("./udp-link-factory.ts") as UdpLinkFactory).createUdpLink(...args);

/** libuv-tcp.ts's libuvTcpAvailable, its module loaded first. */
export function libuvTcpAvailable(): boolean {
  return (require("./libuv-tcp.ts") as typeof import("./libuv-tcp.ts")).libuvTcpAvailable();
}

/** libuv-udp.ts's libuvUdpAvailable, its module loaded first. */
export function libuvUdpAvailable(): boolean {
  return (require("./libuv-udp.ts") as typeof import("./libuv-udp.ts")).libuvUdpAvailable();
}
