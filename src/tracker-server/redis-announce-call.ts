/**
 * One script call of a batch of announces (redis-announce-batch.ts) as the
 * Redis client sends it: an FCALL (or, on a Redis without functions, an
 * EVALSHA) whose request (RESP, the Redis protocol) is written around the
 * packed batch, in the batch's own buffer, and handed to ioredis as it is.
 *
 * Why not ioredis's defined commands: a call through them builds an argument
 * list, converts each argument, wraps the command in a class made for the
 * script, chains a promise to catch NOSCRIPT, and copies every argument into
 * a new buffer before writing it. Measured in a loaded tracker (perf, CPU
 * time), that was about 2 µs of every announce: the client's code runs some
 * thousand times a second, too seldom for V8 to optimise it. Here the
 * request costs a header written in place; the store sends the script
 * itself (FUNCTION LOAD or SCRIPT LOAD) when Redis says it does not have it.
 */
import { createHash } from "node:crypto";
import { Command } from "ioredis";

/** The SHA-1 of a script, as EVALSHA names it. */
export function scriptSha(lua: string): string {
  return createHash("sha1").update(lua).digest("hex");
}

/** Bytes a request's header may take before the batch, for a key prefix of `prefixBytes`. */
export function headRoomFor(prefixBytes: number): number {
  // *9, EVALSHA and the SHA (or FCALL and a function's name of under 40
  // bytes), the key count, the prefix, four numbers of up to 16 digits and
  // the batch's length, each with its own length line: under 200.
  return 256 + prefixBytes;
}

/** How a batch's call names its script: a function (Redis 7) or a script's SHA-1. */
export type ScriptCall = "FCALL" | "EVALSHA";

/**
 * Writes `call` `name` 1 `args`… `batch` (FCALL a function, or EVALSHA a
 * script's SHA-1) as one RESP request into `b`, where the batch's bytes
 * already are (from `start` to `end`; `b` has `start` bytes of room before
 * them and two after): the header goes just before `start`, the closing CRLF
 * after `end`. Returns the request (a view of `b`). `name` is ASCII; `args`
 * are ASCII or UTF-8 text (the prefix, decimal numbers).
 */
export function writeScriptCall(
  b: Buffer,
  start: number,
  end: number,
  call: ScriptCall,
  name: string,
  args: readonly string[],
): Buffer {
  let head = `*${4 + args.length}\r\n$${call.length}\r\n${call}\r\n$${name.length}\r\n${name}\r\n$1\r\n1\r\n`;
  for (const arg of args) head += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  head += `$${end - start}\r\n`;
  const headBytes = Buffer.byteLength(head);
  if (headBytes > start) throw new RangeError("no room for the script call's header");
  b.write(head, start - headBytes, "utf8");
  b[end] = 0x0d;
  b[end + 1] = 0x0a;
  return b.subarray(start - headBytes, end + 2);
}

/**
 * A command whose request is already written: ioredis queues it, times it
 * out and reads its reply (a Buffer) as any other, and writes these bytes.
 */
export class WrittenCommand extends Command {
  readonly #request: Buffer;

  constructor(name: string, request: Buffer) {
    super(name, [], { replyEncoding: null });
    this.#request = request;
  }

  override toWritable(_socket: object): Buffer {
    return this.#request;
  }
}
