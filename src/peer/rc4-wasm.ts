/**
 * RC4 (MSE's stream cipher, the Vuze/libtorrent spec) as a WebAssembly
 * function, assembled below from named opcodes (a module of ~750 bytes).
 *
 * Why: RC4 is one serial chain of byte loads and stores, which V8 compiles
 * from JavaScript with a bounds check on every typed-array access and from
 * WebAssembly without (its memory is guarded by the address space). And
 * unlike OpenSSL's, which Node offers only through Cipher.update (new memory
 * for every chunk, garbage to collect at hundreds of MB/s), this one works
 * in place: bytes are copied into the module's memory, crypted there, and
 * copied back or on (copies run at memory speed, ~20× RC4's).
 * bench/rc4.ts compares the three over 1 GiB.
 *
 * Memory layout: the S-box of the cipher in use at [0, 256), the bytes to
 * crypt from DATA. One module instance serves every cipher of the process:
 * JavaScript is single-threaded and each call finishes before the next, so
 * a cipher's S-box is swapped in only when another cipher was used last.
 */
import { rc4KeySchedule } from "./rc4-key.ts";
import type { StreamCipher } from "./stream-cipher.ts";

const DATA = 256;
/** Bytes crypted per call at most (longer inputs go in slices): the module's memory stays small. */
const SLICE = 256 * 1024;
const PAGE = 65536;
const PAGES = Math.ceil((DATA + SLICE) / PAGE);

// The few WebAssembly opcodes used (the spec's binary format, section 5.4).
const I32 = 0x7f;
const I64 = 0x7e;
const BLOCK = 0x02;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I64_CONST = 0x42;
const I32_LOAD8_U = 0x2d;
const I32_STORE8 = 0x3a;
const I64_LOAD = 0x29;
const I64_STORE = 0x37;
const I32_ADD = 0x6a;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_XOR = 0x73;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const I32_LT_U = 0x49;
const I64_EXTEND_I32_U = 0xad;
const I64_SHL = 0x86;
const I64_OR = 0x84;
const I64_XOR = 0x85;
/** memarg: alignment hint (log2) and offset 0. */
const BYTE = [0x00, 0x00];
const WORD64 = [0x03, 0x00];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
const i32 = (n: number): number[] => [I32_CONST, ...sleb(n)];
const get = (l: number): number[] => [LOCAL_GET, l];
const set = (l: number): number[] => [LOCAL_SET, l];
const tee = (l: number): number[] => [LOCAL_TEE, l];

// crypt(i, j, length) -> i << 8 | j: the PRGA xored over [DATA, DATA + length).
const [LI, LJ, LLEN, LK, LEND, LSI, LSJ, LEND8, LKS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];

/** One PRGA step; leaves the keystream byte on the stack. */
// biome-ignore format: one PRGA line per row
const step = [
  ...get(LI), ...i32(1), I32_ADD, ...i32(255), I32_AND, ...tee(LI),
  I32_LOAD8_U, ...BYTE, ...set(LSI),
  ...get(LJ), ...get(LSI), I32_ADD, ...i32(255), I32_AND, ...tee(LJ),
  I32_LOAD8_U, ...BYTE, ...set(LSJ),
  ...get(LI), ...get(LSJ), I32_STORE8, ...BYTE,
  ...get(LJ), ...get(LSI), I32_STORE8, ...BYTE,
  ...get(LSI), ...get(LSJ), I32_ADD, ...i32(255), I32_AND, I32_LOAD8_U, ...BYTE,
];

/** Eight steps gathered into one 64-bit word (little-endian, as i64.load reads the data). */
const eightSteps: number[] = [];
for (let n = 0; n < 8; n++) {
  eightSteps.push(...step, I64_EXTEND_I32_U);
  if (n > 0) eightSteps.push(I64_CONST, ...sleb(8 * n), I64_SHL, ...get(LKS), I64_OR);
  eightSteps.push(...set(LKS));
}

// biome-ignore format: one statement per row
const body = [
  ...i32(DATA), ...set(LK),
  ...i32(DATA), ...get(LLEN), I32_ADD, ...set(LEND),
  ...i32(DATA), ...get(LLEN), ...i32(-8), I32_AND, I32_ADD, ...set(LEND8),
  // Eight bytes at a time: one 64-bit load and store of data per eight steps.
  BLOCK, VOID, ...get(LK), ...get(LEND8), I32_GE_U, BR_IF, 0,
  LOOP, VOID,
  ...eightSteps,
  ...get(LK), ...get(LK), I64_LOAD, ...WORD64, ...get(LKS), I64_XOR, I64_STORE, ...WORD64,
  ...get(LK), ...i32(8), I32_ADD, ...tee(LK), ...get(LEND8), I32_LT_U, BR_IF, 0,
  END, END,
  // The last 0-7 bytes one at a time.
  BLOCK, VOID, ...get(LK), ...get(LEND), I32_GE_U, BR_IF, 0,
  LOOP, VOID,
  ...get(LK), ...get(LK), I32_LOAD8_U, ...BYTE, ...step, I32_XOR, I32_STORE8, ...BYTE,
  ...get(LK), ...i32(1), I32_ADD, ...tee(LK), ...get(LEND), I32_LT_U, BR_IF, 0,
  END, END,
  ...get(LI), ...i32(8), I32_SHL, ...get(LJ), I32_OR,
  END,
];

const code = [
  ...vec([
    [...uleb(5), I32],
    [1, I64],
  ]),
  ...body,
];
const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])]])),
  ...section(3, vec([[0]])),
  ...section(5, vec([[0x00, ...uleb(PAGES)]])),
  ...section(
    7,
    vec([
      [...name("memory"), 0x02, 0],
      [...name("crypt"), 0x00, 0],
    ]),
  ),
  ...section(10, vec([[...uleb(code.length), ...code]])),
]);

interface Instance {
  memory: Uint8Array;
  crypt: (i: number, j: number, length: number) => number;
  /** The cipher whose S-box is at [0, 256). */
  resident: WasmRc4 | undefined;
}

/** What is used of the WebAssembly global (TypeScript's node types do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

let instance: Instance | null | undefined;

function load(): Instance | null {
  if (instance !== undefined) return instance;
  instance = null;
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  try {
    if (api) {
      const exports = new api.Instance(new api.Module(MODULE)).exports;
      instance = {
        memory: new Uint8Array((exports.memory as { buffer: ArrayBuffer }).buffer),
        crypt: exports.crypt as Instance["crypt"],
        resident: undefined,
      };
    }
  } catch {
    // WebAssembly refused (a locked-down embedder): the JavaScript RC4 serves.
  }
  return instance;
}

/** Whether this Node runs WebAssembly (else rc4.ts uses its JavaScript RC4). */
export function wasmRc4Available(): boolean {
  return load() !== null;
}

/** An RC4 keystream (no drop: rc4.ts discards) over the shared module. */
export class WasmRc4 implements StreamCipher {
  readonly #w: Instance;
  /** The S-box while another cipher is resident. */
  readonly #s: Uint8Array;
  /** The PRGA's i and j, as crypt() takes and returns them. */
  #ij = 0;

  constructor(key: Uint8Array) {
    const w = load();
    if (!w) throw new Error("WebAssembly is not available");
    this.#s = rc4KeySchedule(key);
    this.#w = w;
  }

  update(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    this.#crypt([data], out);
    return out;
  }

  updateInPlace(data: Uint8Array): void {
    this.#crypt([data], data);
  }

  updatev(chunks: readonly Uint8Array[], out: Uint8Array): void {
    this.#crypt(chunks, out);
  }

  discard(n: number): void {
    // Whatever lies in the data area is crypted and left there: nothing to copy.
    const w = this.#resident();
    for (let left = n; left > 0; left -= SLICE) {
      this.#ij = w.crypt(this.#ij >> 8, this.#ij & 255, Math.min(left, SLICE));
    }
  }

  /** The module, with this cipher's S-box in place. */
  #resident(): Instance {
    const w = this.#w;
    if (w.resident !== this) {
      if (w.resident) w.resident.#s.set(w.memory.subarray(0, 256));
      w.memory.set(this.#s, 0);
      w.resident = this;
    }
    return w;
  }

  /** The chunks' bytes, back to back, crypted into `out` (which may be the one chunk). */
  #crypt(chunks: readonly Uint8Array[], out: Uint8Array): void {
    const w = this.#resident();
    const memory = w.memory;
    let filled = 0;
    let written = 0;
    const flush = () => {
      this.#ij = w.crypt(this.#ij >> 8, this.#ij & 255, filled);
      out.set(memory.subarray(DATA, DATA + filled), written);
      written += filled;
      filled = 0;
    };
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; ) {
        const n = Math.min(chunk.length - at, SLICE - filled);
        memory.set(
          at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n),
          DATA + filled,
        );
        filled += n;
        at += n;
        if (filled === SLICE) flush();
      }
    }
    if (filled > 0) flush();
  }
}
