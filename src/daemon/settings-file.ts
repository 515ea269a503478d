/**
 * The settings page's store (api's SettingsStore): the config file's
 * options that a user changes day to day, read from the running daemon,
 * checked with the config file's own rules (resolveConfig, one field at a
 * time for per-field errors, then the whole file), written into the file in
 * place (toml-edit.ts keeps comments) and applied live through reload():
 * limits, queues and seeding goals now, the rest at the next start.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type {
  SettingErrors,
  SettingField,
  SettingsSaved,
  SettingsStore,
  SettingsView,
  SettingValue,
  ShoalApi,
} from "../api/index.ts";
import { ENCRYPTION_POLICIES } from "../peer/index.ts";
import {
  ConfigError,
  type ConfigFlags,
  type ConfigSource,
  type DaemonConfig,
  parseConfigText,
  resolveConfig,
} from "./config.ts";
import { setTomlKey, type TomlScalar } from "./toml-edit.ts";

/** What the store needs of the daemon. */
export interface SettingsHost {
  readonly config: DaemonConfig;
  readonly api: ShoalApi;
  /** BEP 14 is on now (the session keeps it when the config does not say). */
  readonly lsd: boolean;
  reload(next: DaemonConfig): Promise<void>;
}

interface FieldSpec {
  key: string;
  kind: "path" | "port" | "count" | "whole" | "ratio" | "rate" | "flag" | "text" | "choice";
  choices?: readonly string[];
  /** Applied at once by reload() (else at the next start). */
  live?: boolean;
  /** The running value. */
  get: (c: DaemonConfig, api: ShoalApi, host: SettingsHost) => SettingValue | undefined;
  /** The command-line flag that overrides the file, if any. */
  flag?: keyof ConfigFlags;
}

const FIELDS: readonly FieldSpec[] = [
  { key: "download-dir", kind: "path", get: (c) => c.downloadDir, flag: "downloadDir" },
  { key: "incomplete-dir", kind: "path", get: (c) => c.incompleteDir, flag: "incompleteDir" },
  { key: "watch-dir", kind: "path", get: (c) => c.watchDir },
  { key: "watch.delete-added", kind: "flag", get: (c) => c.watchDeleteAdded },
  { key: "peer.port", kind: "port", get: (c) => c.port, flag: "port" },
  { key: "peer.address", kind: "text", get: (c) => c.host },
  { key: "peer.max-connections", kind: "count", get: (c) => c.maxConnections },
  { key: "peer.max-peers-per-torrent", kind: "count", get: (c) => c.maxPeersPerTorrent },
  { key: "peer.dht", kind: "flag", get: (c) => c.dht, flag: "dht" },
  {
    key: "peer.dht-enforce-node-id",
    kind: "flag",
    get: (c) => c.dhtEnforceNodeId,
    flag: "dhtEnforceNodeId",
  },
  { key: "peer.dht-read-only", kind: "flag", get: (c) => c.dhtReadOnly, flag: "dhtReadOnly" },
  { key: "peer.pex", kind: "flag", get: (c) => c.pex, flag: "pex" },
  { key: "peer.lsd", kind: "flag", get: (c, _, host) => c.lsd ?? host.lsd, flag: "lsd" },
  {
    key: "peer.encryption",
    kind: "choice",
    choices: ENCRYPTION_POLICIES,
    get: (c) => c.encryption,
    flag: "encryption",
  },
  {
    key: "limits.download",
    kind: "rate",
    live: true,
    get: (_, api) => api.client().limits.download,
  },
  { key: "limits.upload", kind: "rate", live: true, get: (_, api) => api.client().limits.upload },
  {
    key: "queue.max-active-downloads",
    kind: "whole",
    live: true,
    get: (_, api) => api.manageSettings().maxActiveDownloads,
  },
  {
    key: "queue.max-active-seeds",
    kind: "whole",
    live: true,
    get: (_, api) => api.manageSettings().maxActiveSeeds,
  },
  {
    key: "queue.stalled-minutes",
    kind: "whole",
    live: true,
    get: (_, api) => api.manageSettings().stalledMinutes,
  },
  {
    key: "seeding.ratio-limit",
    kind: "ratio",
    live: true,
    get: (_, api) => api.manageSettings().ratioLimit,
  },
  {
    key: "seeding.idle-limit-minutes",
    kind: "whole",
    live: true,
    get: (_, api) => api.manageSettings().idleLimitMinutes,
  },
];

const SPECS = new Map(FIELDS.map((f) => [f.key, f]));

/** `peer.port` → ["peer", "port"]; `download-dir` → ["", "download-dir"]. */
function place(key: string): [string, string] {
  const dot = key.indexOf(".");
  return dot < 0 ? ["", key] : [key.slice(0, dot), key.slice(dot + 1)];
}

/** A ConfigError's message without its "where: [table] key: " prefix. */
function reason(err: ConfigError, key: string): string {
  const [table, name] = place(key);
  const prefix = `settings: ${table === "" ? "" : `[${table}] `}${name}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

export class SettingsFile implements SettingsStore {
  readonly #host: SettingsHost;
  readonly #source: ConfigSource;
  /** One save at a time: two saves interleaving their reads and writes would lose one. */
  #saving: Promise<unknown> = Promise.resolve();
  /** The config as last saved: what the next start runs with. */
  #saved: DaemonConfig | undefined;

  constructor(host: SettingsHost, source: ConfigSource) {
    this.#host = host;
    this.#source = source;
  }

  read(): SettingsView {
    const running = this.#host.config;
    const saved = this.#saved ?? running;
    const api = this.#host.api;
    const fields = FIELDS.map((f): SettingField => {
      // Live fields as the session has them; the others as saved, which may wait for a restart.
      const value = f.get(f.live ? running : saved, api, this.#host) ?? null;
      const now = f.get(running, api, this.#host) ?? null;
      const field: SettingField = {
        key: f.key,
        value,
        kind: f.kind,
        live: f.live === true,
        flag: f.flag !== undefined && this.#source.flags[f.flag] !== undefined,
        restartNeeded: value !== now,
      };
      if (f.choices) field.choices = [...f.choices];
      return field;
    });
    return { file: this.#source.path, fields };
  }

  async validate(values: Record<string, unknown>): Promise<SettingErrors> {
    const errors: SettingErrors = {};
    const { env, cwd } = this.#source;
    for (const [key, value] of Object.entries(values)) {
      const spec = SPECS.get(key);
      if (spec === undefined) {
        errors[key] = "not a setting the page can change";
        continue;
      }
      if (value === null) {
        if (spec.live) errors[key] = "give a value (0 for none)";
        continue;
      }
      if (!["string", "number", "boolean"].includes(typeof value)) {
        errors[key] = "give a text, a number or true/false";
        continue;
      }
      const [table, name] = place(key);
      const doc = table === "" ? { [name]: value } : { [table]: { [name]: value } };
      try {
        resolveConfig(doc, {}, env, cwd, "settings");
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        errors[key] = reason(err, key);
      }
    }
    if (Object.keys(errors).length > 0) return errors;
    // Then the file as it would be written, with the rules that span keys.
    try {
      await this.#resolve(this.#edited(await this.#text(), values));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.file = err.message;
    }
    return errors;
  }

  save(values: Record<string, unknown>): Promise<SettingsSaved> {
    const run = this.#saving.then(() => this.#save(values));
    this.#saving = run.catch(() => {});
    return run;
  }

  async #save(values: Record<string, unknown>): Promise<SettingsSaved> {
    const errors = await this.validate(values);
    const first = Object.entries(errors)[0];
    if (first !== undefined) throw new ConfigError("bad_value", `${first[0]}: ${first[1]}`);
    const before = this.read();
    const text = this.#edited(await this.#text(), values);
    const next = await this.#resolve(text);
    const { path } = this.#source;
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, text, { mode: 0o600 });
    await rename(temp, path);
    await this.#host.reload(next);
    this.#saved = next;
    const changed = Object.keys(values).filter(
      (k) => before.fields.find((f) => f.key === k)?.value !== values[k],
    );
    const after = this.read();
    return {
      ...after,
      applied: changed.filter((k) => SPECS.get(k)?.live),
      restartNeeded: changed.filter((k) => !SPECS.get(k)?.live),
    };
  }

  /** The config file's text ("" when it does not exist yet). */
  async #text(): Promise<string> {
    try {
      return await readFile(this.#source.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
      throw new ConfigError(
        "unreadable",
        `cannot read config file ${this.#source.path}: ${(err as Error).message}`,
      );
    }
  }

  #edited(text: string, values: Record<string, unknown>): string {
    let out = text;
    for (const [key, value] of Object.entries(values)) {
      const [table, name] = place(key);
      out = setTomlKey(out, table, name, value === null ? undefined : (value as TomlScalar));
    }
    return out;
  }

  /** The daemon's config from this file text and the same flags. */
  async #resolve(text: string): Promise<DaemonConfig> {
    const { path, flags, env, cwd } = this.#source;
    const config = resolveConfig(parseConfigText(text, path), flags, env, cwd, path);
    config.source = this.#source;
    return config;
  }
}
