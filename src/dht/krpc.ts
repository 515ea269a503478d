/**
 * The KRPC codec (BEP 5): bencoded dictionaries over UDP, one per datagram.
 * `y` says query ("q"), response ("r") or error ("e"); `t` is the
 * transaction id the answer echoes. Decoding is strict and bounded: every
 * field has a type and a length limit, and anything else is refused with a
 * DhtError("malformed"), which the node turns into a dropped datagram (or a
 * 203 error when the transaction id could be read). Extensions read here:
 * BEP 32 (`nodes6`, `want`), BEP 42 (top-level `ip`), BEP 43 (`ro`).
 */
import {
  type BencodeDict,
  type BencodeValue,
  decode,
  type Encodable,
  encode,
  isBytes,
  isDict,
  isList,
} from "../bencode/index.ts";
import {
  type DhtFamily,
  decodeCompactNodes,
  decodeCompactPeer,
  type Endpoint,
  encodeCompactNodes,
  encodeCompactPeer,
  type NodeInfo,
} from "./compact.ts";
import { DhtError } from "./errors.ts";
import { NODE_ID_LENGTH, type NodeId } from "./node-id.ts";

/** Named limits on what the codec accepts from the network. */
export const KRPC_LIMITS = {
  /** A KRPC message fits a datagram; real ones stay under one Ethernet frame. */
  maxDatagram: 2048,
  /** d → a/r → values (list) → string: four levels are all KRPC ever needs. */
  maxDepth: 4,
  /** Values in one message (every string, integer, list and dictionary). */
  maxItems: 512,
  /** Transaction ids are "typically 2 characters" (BEP 5); we allow a little more. */
  maxTransactionId: 16,
  maxToken: 64,
  maxMethod: 32,
  maxVersion: 16,
  maxErrorMessage: 256,
  /** Peers in one `values` list (BEP 5 get_peers reply). */
  maxValues: 200,
  /** Entries of a BEP 32 `want` list. */
  maxWant: 4,
} as const;

/** BEP 5's error codes. */
export const KRPC_ERROR = {
  generic: 201,
  server: 202,
  protocol: 203,
  methodUnknown: 204,
} as const;

export type QueryMethod = "ping" | "find_node" | "get_peers" | "announce_peer";

interface Common {
  /** Transaction id: the answer echoes it byte for byte. */
  t: Buffer;
  /** The sender's client version (`v`), if it says. */
  v?: Buffer;
}

export interface KrpcQuery extends Common {
  y: "q";
  q: QueryMethod;
  id: NodeId;
  /** find_node. */
  target?: NodeId;
  /** get_peers, announce_peer. */
  infoHash?: NodeId;
  /** announce_peer. */
  port?: number;
  impliedPort?: boolean;
  token?: Buffer;
  /** BEP 32: which families' nodes the asker wants back; empty when not said. */
  want?: DhtFamily[];
  /** BEP 43: the asker is read-only and must not be added to routing tables. */
  readOnly?: boolean;
}

export interface KrpcResponse extends Common {
  y: "r";
  id: NodeId;
  nodes?: NodeInfo[];
  nodes6?: NodeInfo[];
  /** get_peers: peers for the info hash. */
  values?: Endpoint[];
  token?: Buffer;
  /** BEP 42: the address the responder sees us at. */
  ip?: Endpoint;
}

export interface KrpcErrorMessage extends Common {
  y: "e";
  code: number;
  message: string;
}

export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcErrorMessage;

/** What decodeKrpc tells the node when it refuses a datagram. */
export interface KrpcRefusal {
  error: DhtError;
  /** The transaction id when it could be read, for a query: answer with 203. */
  t?: Buffer;
  query: boolean;
}

const QUERY_METHODS = new Set<string>(["ping", "find_node", "get_peers", "announce_peer"]);

function malformed(what: string): DhtError {
  return new DhtError("malformed", `malformed KRPC message: ${what}`);
}

function bytesField(
  dict: BencodeDict,
  key: string,
  min: number,
  max: number,
  required: true,
): Buffer;
function bytesField(
  dict: BencodeDict,
  key: string,
  min: number,
  max: number,
  required: false,
): Buffer | undefined;
function bytesField(
  dict: BencodeDict,
  key: string,
  min: number,
  max: number,
  required: boolean,
): Buffer | undefined {
  const v = dict.get(key);
  if (v === undefined) {
    if (required) throw malformed(`missing '${key}'`);
    return undefined;
  }
  if (!isBytes(v)) throw malformed(`'${key}' is not a string`);
  if (v.length < min || v.length > max) throw malformed(`'${key}' has length ${v.length}`);
  return v;
}

function idField(dict: BencodeDict, key: string): NodeId {
  return Buffer.from(bytesField(dict, key, NODE_ID_LENGTH, NODE_ID_LENGTH, true));
}

function nodesField(dict: BencodeDict, key: string, family: DhtFamily): NodeInfo[] | undefined {
  const v = bytesField(dict, key, 0, KRPC_LIMITS.maxDatagram, false);
  if (v === undefined) return undefined;
  const nodes = decodeCompactNodes(v, family);
  if (!nodes) throw malformed(`'${key}' is not a whole number of compact nodes`);
  return nodes;
}

/**
 * Decodes one datagram. Returns the message, or a refusal saying why (and
 * the transaction id of a query, so the node can answer 203). Never throws.
 */
export function decodeKrpc(datagram: Buffer): KrpcMessage | KrpcRefusal {
  if (datagram.length > KRPC_LIMITS.maxDatagram) {
    return { error: malformed(`${datagram.length} bytes`), query: false };
  }
  let root: BencodeValue;
  try {
    root = decode(datagram, {
      maxSize: KRPC_LIMITS.maxDatagram,
      maxDepth: KRPC_LIMITS.maxDepth,
      maxItems: KRPC_LIMITS.maxItems,
      maxStringLength: KRPC_LIMITS.maxDatagram,
    });
  } catch (err) {
    return { error: malformed((err as Error).message), query: false };
  }
  if (!isDict(root)) return { error: malformed("not a dictionary"), query: false };
  let t: Buffer | undefined;
  const y = root.get("y");
  const query = isBytes(y) && y.length === 1 && y[0] === 0x71;
  try {
    t = bytesField(root, "t", 0, KRPC_LIMITS.maxTransactionId, true);
    const v = bytesField(root, "v", 0, KRPC_LIMITS.maxVersion, false);
    if (!isBytes(y) || y.length !== 1) throw malformed("'y' is not one character");
    const common: Common = { t: Buffer.from(t), ...(v ? { v: Buffer.from(v) } : {}) };
    switch (y[0]) {
      case 0x71:
        return decodeQuery(root, common);
      case 0x72:
        return decodeResponse(root, common);
      case 0x65:
        return decodeError(root, common);
      default:
        throw malformed("unknown 'y'");
    }
  } catch (err) {
    const error = err instanceof DhtError ? err : malformed(String(err));
    return { error, query, ...(t ? { t: Buffer.from(t) } : {}) };
  }
}

export function isRefusal(m: KrpcMessage | KrpcRefusal): m is KrpcRefusal {
  return "error" in m;
}

function decodeQuery(root: BencodeDict, common: Common): KrpcQuery {
  const q = bytesField(root, "q", 1, KRPC_LIMITS.maxMethod, true).toString("latin1");
  const a = root.get("a");
  if (!isDict(a)) throw malformed("'a' is not a dictionary");
  const id = idField(a, "id");
  if (!QUERY_METHODS.has(q)) {
    throw new DhtError("malformed", `unknown method '${q.slice(0, 32)}'`, KRPC_ERROR.methodUnknown);
  }
  const out: KrpcQuery = { ...common, y: "q", q: q as QueryMethod, id };
  const ro = a.get("ro");
  if (ro === 1) out.readOnly = true;
  else if (ro !== undefined && ro !== 0) throw malformed("'ro' is not 0 or 1");
  const want = a.get("want");
  if (want !== undefined) out.want = decodeWant(want);
  if (q === "find_node") out.target = idField(a, "target");
  if (q === "get_peers" || q === "announce_peer") out.infoHash = idField(a, "info_hash");
  if (q === "announce_peer") {
    out.token = Buffer.from(bytesField(a, "token", 1, KRPC_LIMITS.maxToken, true));
    const implied = a.get("implied_port");
    if (implied !== undefined && implied !== 0 && implied !== 1) {
      throw malformed("'implied_port' is not 0 or 1");
    }
    if (implied !== undefined) out.impliedPort = implied === 1;
    const port = a.get("port");
    // BEP 5: with implied_port the port argument "should be ignored"; some send none.
    if (port === undefined && !out.impliedPort) throw malformed("missing 'port'");
    if (port !== undefined) {
      if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
        throw malformed("'port' is not a port");
      }
      out.port = port;
    }
    if (!out.impliedPort && out.port === 0) throw malformed("'port' is 0");
  }
  return out;
}

function decodeWant(want: BencodeValue): DhtFamily[] {
  if (!isList(want) || want.length > KRPC_LIMITS.maxWant)
    throw malformed("'want' is not a short list");
  const out: DhtFamily[] = [];
  for (const w of want) {
    if (!isBytes(w) || w.length > 4) throw malformed("'want' entry is not a short string");
    const s = w.toString("latin1");
    // BEP 32: unknown entries are ignored.
    if (s === "n4" && !out.includes(4)) out.push(4);
    if (s === "n6" && !out.includes(6)) out.push(6);
  }
  return out;
}

function decodeResponse(root: BencodeDict, common: Common): KrpcResponse {
  const r = root.get("r");
  if (!isDict(r)) throw malformed("'r' is not a dictionary");
  const out: KrpcResponse = { ...common, y: "r", id: idField(r, "id") };
  const nodes = nodesField(r, "nodes", 4);
  if (nodes) out.nodes = nodes;
  const nodes6 = nodesField(r, "nodes6", 6);
  if (nodes6) out.nodes6 = nodes6;
  const token = bytesField(r, "token", 1, KRPC_LIMITS.maxToken, false);
  if (token) out.token = Buffer.from(token);
  const values = r.get("values");
  if (values !== undefined) {
    if (!isList(values) || values.length > KRPC_LIMITS.maxValues) {
      throw malformed("'values' is not a list of at most 200 peers");
    }
    out.values = [];
    for (const v of values) {
      if (!isBytes(v) || (v.length !== 6 && v.length !== 18)) {
        throw malformed("'values' entry is not compact peer info");
      }
      const peer = decodeCompactPeer(v);
      if (peer) out.values.push(peer);
    }
  }
  const ip = bytesField(root, "ip", 6, 18, false);
  if (ip) {
    const seen = ip.length === 6 || ip.length === 18 ? decodeCompactPeer(ip) : undefined;
    if (seen) out.ip = seen;
  }
  return out;
}

function decodeError(root: BencodeDict, common: Common): KrpcErrorMessage {
  const e = root.get("e");
  if (!isList(e) || e.length < 2) throw malformed("'e' is not [code, message]");
  const [code, message] = e;
  if (typeof code !== "number" || !Number.isInteger(code))
    throw malformed("error code is not an integer");
  if (!isBytes(message) || message.length > KRPC_LIMITS.maxErrorMessage) {
    throw malformed("error message is not a short string");
  }
  return { ...common, y: "e", code, message: message.toString("utf8") };
}

// --- encoding ---------------------------------------------------------------

/** Canonical bencode of a message (BEP 3: sorted keys), as the node sends it. */
export function encodeKrpc(msg: KrpcMessage): Buffer {
  const top: Record<string, Encodable | undefined> = { t: msg.t, y: msg.y, v: msg.v };
  if (msg.y === "q") {
    top.q = msg.q;
    top.a = {
      id: msg.id,
      target: msg.target,
      info_hash: msg.infoHash,
      port: msg.port,
      implied_port: msg.impliedPort === undefined ? undefined : msg.impliedPort ? 1 : 0,
      token: msg.token,
      want: msg.want?.map((f) => `n${f}`),
      ro: msg.readOnly ? 1 : undefined,
    };
  } else if (msg.y === "r") {
    top.r = {
      id: msg.id,
      nodes: msg.nodes ? encodeCompactNodes(msg.nodes, 4) : undefined,
      nodes6: msg.nodes6 ? encodeCompactNodes(msg.nodes6, 6) : undefined,
      token: msg.token,
      values: msg.values?.flatMap((p) => encodeCompactPeer(p) ?? []),
    };
    if (msg.ip) top.ip = encodeCompactPeer(msg.ip);
  } else {
    top.e = [msg.code, msg.message];
  }
  return encode(top);
}
