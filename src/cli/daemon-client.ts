/**
 * The CLI's client of a running daemon (`shoal add`, `ls`, `pause`, …): its
 * HTTP API over fetch, the local daemon (http://127.0.0.1:9091) unless
 * `--remote URL`, credentials from `--auth user:password` or `--token` (or
 * SHOAL_AUTH / SHOAL_TOKEN). Every failure is one line: the daemon's own
 * error message, or what to do when there is no daemon to talk to.
 */
import { ShoalError } from "../util/index.ts";
import { UsageError } from "./io.ts";

export const DEFAULT_DAEMON_URL = "http://127.0.0.1:9091";
/** A daemon on loopback answers in milliseconds; a remote one over a slow link in seconds. */
const REQUEST_TIMEOUT_MS = 30_000;

export class DaemonClientError extends ShoalError {}

export const REMOTE_OPTIONS = {
  remote: { type: "string" },
  auth: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
} as const;

export const REMOTE_HELP = `      --remote <url>          the daemon (default ${DEFAULT_DAEMON_URL})
      --auth <user:password>  its credentials (or SHOAL_AUTH)
      --token <token>         a bearer token instead (or SHOAL_TOKEN)
      --json                  print the daemon's JSON
`;

export interface RemoteValues {
  remote?: string;
  auth?: string;
  token?: string;
}

export class DaemonClient {
  readonly base: string;
  readonly #authorization: string | undefined;

  constructor(values: RemoteValues, env: NodeJS.ProcessEnv) {
    const text = values.remote ?? (env.SHOAL_REMOTE || DEFAULT_DAEMON_URL);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UsageError(`--remote: '${text}' is not a URL (try ${DEFAULT_DAEMON_URL})`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UsageError(`--remote: '${text}' is not an http(s) URL`);
    }
    this.base = url.origin;
    const auth = values.auth ?? (env.SHOAL_AUTH || undefined);
    const token = values.token ?? (env.SHOAL_TOKEN || undefined);
    if (auth !== undefined && !auth.includes(":"))
      throw new UsageError("--auth: give user:password");
    this.#authorization = token
      ? `Bearer ${token}`
      : auth
        ? `Basic ${Buffer.from(auth).toString("base64")}`
        : undefined;
  }

  /** A long-lived GET of /api/v1… (the event stream), ended by `signal`. */
  async open(path: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (this.#authorization) headers.authorization = this.#authorization;
    const res = await fetch(`${this.base}/api/v1${path}`, { headers, signal });
    if (!res.ok) {
      await res.body?.cancel();
      throw new DaemonClientError("failed", `${this.base}${path}: HTTP ${res.status}`);
    }
    return res;
  }

  /** A request to /api/v1…; its JSON, or a DaemonClientError with the daemon's message. */
  async request<T>(
    method: string,
    path: string,
    body?: { json: unknown } | { bytes: Uint8Array; type: string },
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#authorization) headers.authorization = this.#authorization;
    let payload: string | Uint8Array | undefined;
    if (body && "json" in body) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers["content-type"] = body.type;
      payload = body.bytes;
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1${path}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      if (code === "ECONNREFUSED") {
        throw new DaemonClientError(
          "no_daemon",
          `no daemon at ${this.base} (start one with 'shoal daemon', or give --remote)`,
        );
      }
      throw new DaemonClientError(
        "unreachable",
        `cannot reach the daemon at ${this.base}: ${code}`,
      );
    }
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new DaemonClientError(
        "bad_reply",
        `${this.base} answered HTTP ${res.status}, not shoal's JSON`,
      );
    }
    if (!res.ok) {
      const e = (value as { error?: { code?: string; message?: string } }).error;
      const hint = e?.code === "unauthenticated" ? " (give --auth user:password or --token)" : "";
      throw new DaemonClientError(
        e?.code ?? "failed",
        `${e?.message ?? `HTTP ${res.status}`}${hint}`,
      );
    }
    return value as T;
  }
}
