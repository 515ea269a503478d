/**
 * UDP tracker load (BEP 15) as clients generate it: every announce is a
 * connect exchange followed by an announce exchange with the fresh
 * connection id. `concurrency` transactions are in flight at once on one
 * connected socket; a slot's transaction id carries the slot number in its
 * low 16 bits so a reply finds its slot without a map lookup.
 */
import { createSocket } from "node:dgram";
import { performance } from "node:perf_hooks";
import type { LoadOptions, LoadResult } from "./load-result.ts";
import { LatencyRecorder } from "./stats.ts";
import type { SwarmModel } from "./swarm-model.ts";

// BEP 15: the magic protocol id of a connect request, and the actions.
const PROTOCOL_ID_HIGH = 0x417;
const PROTOCOL_ID_LOW = 0x27101980;
const ACTION_CONNECT = 0;
const ACTION_ANNOUNCE = 1;
const ACTION_ERROR = 3;
// BEP 15 announce events.
const EVENT_NONE = 0;
const EVENT_STARTED = 2;
const ANNOUNCE_LENGTH = 98;
const NUM_WANT = 50;

interface Slot {
  txid: number;
  phase: "idle" | "connect" | "announce";
  startedAt: number;
  sentAt: number;
  connect: Buffer;
  announce: Buffer;
}

export function runUdpLoad(model: SwarmModel, opts: LoadOptions): Promise<LoadResult> {
  if (opts.concurrency < 1 || opts.concurrency > 0xffff) {
    throw new Error("UDP concurrency must be between 1 and 65535");
  }
  const latency = opts.latency ?? new LatencyRecorder();
  const result: LoadResult = {
    ok: 0,
    errors: 0,
    timeouts: 0,
    elapsedMs: 0,
    latency,
    nextSeq: opts.startSeq,
  };
  const limitSeq = opts.startSeq + (opts.maxAnnounces ?? Number.POSITIVE_INFINITY);
  const socket = createSocket({ type: "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  const slots: Slot[] = [];
  let txCounter = 0;
  let stopping = false;
  let inFlight = 0;
  const start = performance.now();

  return new Promise((resolve, reject) => {
    let sweep: NodeJS.Timeout | undefined;
    let stopTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(sweep);
      clearTimeout(stopTimer);
      clearTimeout(drainTimer);
      result.elapsedMs = performance.now() - start;
      socket.close();
      resolve(result);
    };

    const nextTxid = (slotIndex: number): number => {
      txCounter = (txCounter + 1) & 0xffff;
      return ((txCounter << 16) | slotIndex) >>> 0;
    };

    const begin = (slotIndex: number): void => {
      const slot = slots[slotIndex] as Slot;
      if (stopping || result.nextSeq >= limitSeq) {
        slot.phase = "idle";
        if (--inFlight === 0) finish();
        return;
      }
      const seq = result.nextSeq++;
      const peer = model.peerOf(seq);
      const a = slot.announce;
      model.infoHashes[model.torrentOf(peer)]?.copy(a, 16);
      a.write(model.peerId(peer), 36, 20, "latin1");
      a.writeUInt32BE(0, 56); // downloaded (64-bit, high word)
      a.writeUInt32BE(0, 60);
      a.writeUInt32BE(0, 64); // left
      a.writeUInt32BE(model.left(peer), 68);
      a.writeUInt32BE(0, 72); // uploaded
      a.writeUInt32BE(0, 76);
      a.writeUInt32BE(model.isFirstAnnounce(seq) ? EVENT_STARTED : EVENT_NONE, 80);
      a.writeUInt32BE(0, 84); // ip: the sender's
      a.writeUInt32BE(peer, 88); // key
      a.writeInt32BE(NUM_WANT, 92);
      a.writeUInt16BE(model.port(peer), 96);
      slot.txid = nextTxid(slotIndex);
      slot.connect.writeUInt32BE(slot.txid, 12);
      slot.phase = "connect";
      slot.startedAt = slot.sentAt = performance.now();
      socket.send(slot.connect);
    };

    const fail = (slotIndex: number, message: string): void => {
      result.errors++;
      result.firstError ??= message;
      begin(slotIndex);
    };

    socket.on("message", (msg: Buffer) => {
      if (msg.length < 8) return;
      const action = msg.readUInt32BE(0);
      const txid = msg.readUInt32BE(4);
      const slotIndex = txid & 0xffff;
      const slot = slots[slotIndex];
      if (!slot || slot.txid !== txid || slot.phase === "idle") return; // late reply
      if (action === ACTION_ERROR) {
        return fail(slotIndex, `error reply: ${msg.subarray(8).toString("latin1")}`);
      }
      if (slot.phase === "connect") {
        if (action !== ACTION_CONNECT || msg.length < 16) {
          return fail(slotIndex, `bad connect reply (action ${action}, ${msg.length} bytes)`);
        }
        msg.copy(slot.announce, 0, 8, 16);
        slot.txid = nextTxid(slotIndex);
        slot.announce.writeUInt32BE(slot.txid, 12);
        slot.phase = "announce";
        slot.sentAt = performance.now();
        socket.send(slot.announce);
        return;
      }
      if (action !== ACTION_ANNOUNCE || msg.length < 20 || (msg.length - 20) % 6 !== 0) {
        return fail(slotIndex, `bad announce reply (action ${action}, ${msg.length} bytes)`);
      }
      result.ok++;
      latency.record(performance.now() - slot.startedAt);
      begin(slotIndex);
    });
    socket.on("error", (err) => {
      result.firstError ??= err.message;
    });

    socket.bind(0, "127.0.0.1", () => {
      socket.connect(opts.port, "127.0.0.1", (err?: Error) => {
        if (err) {
          socket.close();
          reject(err);
          return;
        }
        for (let i = 0; i < opts.concurrency; i++) {
          const connect = Buffer.alloc(16);
          connect.writeUInt32BE(PROTOCOL_ID_HIGH, 0);
          connect.writeUInt32BE(PROTOCOL_ID_LOW, 4);
          connect.writeUInt32BE(ACTION_CONNECT, 8);
          const announce = Buffer.alloc(ANNOUNCE_LENGTH);
          announce.writeUInt32BE(ACTION_ANNOUNCE, 8);
          slots.push({ txid: 0, phase: "idle", startedAt: 0, sentAt: 0, connect, announce });
        }
        inFlight = opts.concurrency;
        for (let i = 0; i < opts.concurrency; i++) begin(i);
        // A lost datagram (full socket buffer) must not stall a slot forever.
        sweep = setInterval(() => {
          const now = performance.now();
          for (let i = 0; i < slots.length; i++) {
            const slot = slots[i] as Slot;
            if (slot.phase !== "idle" && now - slot.sentAt > opts.timeoutMs) {
              result.timeouts++;
              slot.txid = 0;
              begin(i);
            }
          }
        }, 100);
        stopTimer = setTimeout(() => {
          stopping = true;
          // Await in-flight replies briefly, then stop regardless.
          drainTimer = setTimeout(finish, opts.timeoutMs);
        }, opts.durationMs);
      });
    });
  });
}
