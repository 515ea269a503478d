/**
 * What the shell (its commands, prompt, completion and live console) asks
 * of the session: a part of the api facade. A ShoalApi over an in-process
 * Client is one; RemoteShellApi (remote-shell-api.ts), the daemon's HTTP
 * API behind a mirror refreshed before each command, is the other, so the
 * commands are the same whether the shell owns the session or attaches to
 * a daemon.
 */
import type { ShoalApi } from "../api/index.ts";

export type ShellApi = Pick<
  ShoalApi,
  | "client"
  | "list"
  | "get"
  | "peers"
  | "files"
  | "trackers"
  | "add"
  | "addFromIndex"
  | "index"
  | "publish"
  | "pause"
  | "pauseAll"
  | "resume"
  | "remove"
  | "recheck"
  | "reannounce"
  | "setFiles"
  | "setLimits"
  | "whenComplete"
  | "subscribe"
> & {
  /** Brings the reads up to date (a remote session's mirror); before each command. */
  refresh?(): Promise<void>;
};
