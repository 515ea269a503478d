/**
 * How a client reaches peers and how they reach it: a Dialer opens streams,
 * a Listener hands out the streams peers open. TCP (net/) is the default;
 * uTP (BEP 29) will be a second pair, and tests and the simulator pass the
 * in-memory network's hosts (MemoryHost is a Dialer, its listen() a
 * Listener). Every stream then goes through the negotiation step.
 */
import { dialTcp, listenTcp, type Transport } from "../net/index.ts";

export interface Dialer {
  dial(host: string, port: number): Promise<Transport>;
}

export interface Listener {
  /** The port peers reach us on (what trackers and peers are told). */
  readonly port: number;
  on(event: "connection", listener: (stream: Transport) => void): unknown;
  /** Stops accepting; streams already handed out are their owners'. */
  close(): Promise<void>;
}

/** Opens a Listener on `port` (0: any free one), on `host` when given. */
export type Listen = (port: number, host?: string) => Promise<Listener>;

/** A dial that gets no answer within this long fails. */
const DIAL_TIMEOUT_MS = 10_000;

export const tcpDialer: Dialer = {
  dial: (host, port) => dialTcp(host, port, { timeoutMs: DIAL_TIMEOUT_MS }),
};

export const listenOnTcp: Listen = (port, host) =>
  listenTcp(host === undefined ? { port } : { port, host });
