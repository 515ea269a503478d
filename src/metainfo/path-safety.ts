/**
 * File names from a torrent decide where bytes land on disk, so every path
 * component is checked before anything else trusts it. shoal refuses unsafe
 * names outright (libtorrent rewrites them instead): a torrent whose files
 * would land somewhere other than where its author said is not one to trust.
 */

/** Deepest folder nesting accepted (libtorrent's max_directory_depth). */
export const MAX_PATH_DEPTH = 100;
/** Longest single name, in UTF-8 bytes: what Linux and Windows file systems allow. */
export const MAX_COMPONENT_BYTES = 255;
/**
 * Longest path the system takes, in UTF-8 bytes: Linux's PATH_MAX (4096)
 * counts the terminating NUL. A longer path fails every open() with
 * ENAMETOOLONG, so such a file can never be written: it is refused when the
 * torrent is loaded, not found out piece by piece.
 */
export const MAX_PATH_BYTES = 4095;

/**
 * Why a single path component is unsafe, or undefined when it is safe on both
 * Linux and Windows. Windows drops trailing dots and spaces, so `.. ` and
 * `...` mean `..` there; a `:` makes `C:x` a drive-relative path (or an NTFS
 * stream); `\` is a separator there just as `/` is here.
 */
export function unsafeComponentReason(component: string): string | undefined {
  if (component.length === 0) return "an empty name";
  if (component.includes("\0")) return "a NUL character";
  if (component.includes("/")) return "a '/' (a folder separator)";
  if (component.includes("\\")) return "a '\\' (a folder separator on Windows)";
  if (component.includes(":")) return "a ':' (a drive or stream separator on Windows)";
  const windowsName = component.replace(/[. ]+$/, "");
  if (component === "." || component === ".." || windowsName === "" || windowsName === ".") {
    return `the name '${component}', which leaves or aliases its folder`;
  }
  if (windowsName === "..") return `the name '${component}', which means '..' on Windows`;
  if (Buffer.byteLength(component, "utf8") > MAX_COMPONENT_BYTES) {
    return `a name longer than ${MAX_COMPONENT_BYTES} bytes`;
  }
  return undefined;
}

/** Why a whole relative path is unsafe, or undefined when every component is safe. */
export function unsafePathReason(components: readonly string[]): string | undefined {
  if (components.length === 0) return "an empty path";
  if (components.length > MAX_PATH_DEPTH) return `more than ${MAX_PATH_DEPTH} nested folders`;
  for (const c of components) {
    const reason = unsafeComponentReason(c);
    if (reason) return reason;
  }
  const bytes = pathBytes("", components);
  if (bytes > MAX_PATH_BYTES) {
    return `a path of ${bytes} bytes (no system takes more than ${MAX_PATH_BYTES})`;
  }
  return undefined;
}

/** Bytes of `components` joined under `root` with '/', as the system is handed them. */
export function pathBytes(root: string, components: readonly string[]): number {
  let bytes = root === "" ? -1 : Buffer.byteLength(root.replace(/\/+$/, ""), "utf8");
  for (const c of components) bytes += 1 + Buffer.byteLength(c, "utf8");
  return bytes;
}

/**
 * Why a file's path (its components, the torrent's name first) cannot exist
 * under the absolute folder `root`, or undefined when it can: a name over
 * MAX_COMPONENT_BYTES, or the whole path over MAX_PATH_BYTES. The folder is
 * the user's choice, so this is asked where it is known (storage), not
 * only when the torrent is parsed.
 */
export function pathTooLongReason(root: string, components: readonly string[]): string | undefined {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: a path within the
  // limits even so needs no byte count (a restore asks this of every file
  // of every torrent).
  let units = root.length;
  let longest = 0;
  for (const c of components) {
    units += 1 + c.length;
    if (c.length > longest) longest = c.length;
  }
  if (longest * 3 <= MAX_COMPONENT_BYTES && units * 3 <= MAX_PATH_BYTES) return undefined;
  for (const c of components) {
    if (Buffer.byteLength(c, "utf8") > MAX_COMPONENT_BYTES) {
      return `a name longer than ${MAX_COMPONENT_BYTES} bytes`;
    }
  }
  const bytes = pathBytes(root, components);
  if (bytes > MAX_PATH_BYTES) {
    return `a path of ${bytes} bytes there (the system takes at most ${MAX_PATH_BYTES})`;
  }
  return undefined;
}
