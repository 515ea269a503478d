/**
 * The settings page's store for the daemon, with its SettingsFile (and the
 * TOML editor under it) loaded by the page's first request rather than at
 * start: most starts of a daemon never serve the page, and every module
 * loaded is part of the start-up time (issue 16's target).
 */
import type { SettingsStore } from "../api/index.ts";
import type { ConfigSource } from "./config.ts";
import type { SettingsFile, SettingsHost } from "./settings-file.ts";

export function settingsStoreFor(host: SettingsHost, source: ConfigSource): SettingsStore {
  let file: Promise<SettingsFile> | undefined;
  const load = () =>
    (file ??= import("./settings-file.ts").then(
      ({ SettingsFile }) => new SettingsFile(host, source),
    ));
  return {
    read: async () => (await load()).read(),
    validate: async (values) => (await load()).validate(values),
    save: async (values) => (await load()).save(values),
  };
}
