/**
 * daemon: the long-running process (layer 7): config (TOML file, flags
 * over it), one Client with every torrent persisted and restored, the
 * control plane (api's ControlPlane) on node:http.
 *
 *   const config = await loadConfig(flags, env, cwd, readText);
 *   const d = await Daemon.start(config, logger); await d.reload(config2); await d.stop();
 */

export { releaseCompileCache } from "./compile-cache-release.ts";
export {
  type ApiSettings,
  ConfigError,
  type ConfigFlags,
  type DaemonConfig,
  DEFAULT_API_PORT,
  DEFAULT_PEER_PORT,
  defaultConfigPath,
  defaultDaemonDataDir,
  formatConfig,
  loadConfig,
  parseConfigText,
  resolveConfig,
} from "./config.ts";
export { checkControlPlaneSecurity, Daemon, isLoopback } from "./daemon.ts";
export { turnOffTurbofan } from "./optimising-compiler.ts";
export { pauseMaglev } from "./restore-tiering.ts";
export { createTextLogger } from "./text-logger.ts";
