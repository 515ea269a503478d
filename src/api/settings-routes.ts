/**
 * The settings page's routes (issue 17): the config file's options as the
 * daemon has them, checked field by field before saving, saved to the file
 * the daemon reads (so a restart keeps them) and applied live where the
 * daemon can. The daemon (layer 7) owns the config; it hands the control
 * plane a SettingsStore, and without one (a session without a config file)
 * these routes say so.
 */

import type { IncomingMessage } from "node:http";
import { ApiError } from "./errors.ts";
import { readJsonObject } from "./http-body.ts";

/** A setting's value as JSON; null: not set (the default, or "as the session keeps it"). */
export type SettingValue = string | number | boolean | null;

export interface SettingField {
  /** The config file's name for it: `download-dir`, `peer.port`, `limits.upload`. */
  key: string;
  value: SettingValue;
  /** What it takes: path, port, count, whole, ratio, rate, flag, text or choice. */
  kind: string;
  choices?: string[];
  /** Saving it applies it at once (else at the next start). */
  live: boolean;
  /** A command-line flag sets it: the file's value waits until the flag is gone. */
  flag: boolean;
  /** Saved, but the daemon runs with another value until its next start. */
  restartNeeded: boolean;
}

export interface SettingsView {
  /** The config file the daemon reads and the page writes. */
  file: string;
  fields: SettingField[];
}

/** Field key → what is wrong with its value, one line. */
export type SettingErrors = Record<string, string>;

export interface SettingsSaved extends SettingsView {
  /** The keys changed and applied now. */
  applied: string[];
  /** The keys changed that take effect at the next start. */
  restartNeeded: string[];
}

export interface SettingsStore {
  read(): SettingsView | Promise<SettingsView>;
  /** The errors of these values (none: they can be saved). */
  validate(values: Record<string, unknown>): Promise<SettingErrors>;
  /** Checks, writes the file, applies what can be applied live. */
  save(values: Record<string, unknown>): Promise<SettingsSaved>;
}

/** Most fields one save may carry (the page sends at most every field once). */
export const MAX_SETTING_VALUES = 64;

function store(settings: SettingsStore | undefined): SettingsStore {
  if (settings === undefined) {
    throw new ApiError(
      "unavailable",
      "settings: this daemon was started without a config file to write",
    );
  }
  return settings;
}

async function valuesOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJsonObject(req);
  const values = body.values;
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new ApiError("invalid_input", 'settings: give {"values": {"peer.port": 51413, …}}');
  }
  if (Object.keys(values).length > MAX_SETTING_VALUES) {
    throw new ApiError("invalid_input", `settings: at most ${MAX_SETTING_VALUES} values at once`);
  }
  return values as Record<string, unknown>;
}

export const readSettings = (
  settings: SettingsStore | undefined,
): SettingsView | Promise<SettingsView> => store(settings).read();

export async function validateSettings(
  settings: SettingsStore | undefined,
  req: IncomingMessage,
): Promise<{ ok: boolean; errors: SettingErrors }> {
  const errors = await store(settings).validate(await valuesOf(req));
  return { ok: Object.keys(errors).length === 0, errors };
}

export async function saveSettings(
  settings: SettingsStore | undefined,
  req: IncomingMessage,
): Promise<SettingsSaved> {
  const s = store(settings);
  const values = await valuesOf(req);
  const errors = await s.validate(values);
  const first = Object.entries(errors)[0];
  if (first !== undefined) {
    throw new ApiError("invalid_input", `${first[0]}: ${first[1]}`);
  }
  return s.save(values);
}
