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
  return undefined;
}
