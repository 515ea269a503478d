/**
 * What a failed file operation means for a download. Some failures heal by
 * themselves (the process is out of descriptors for a moment, a call was
 * interrupted): the operation is tried again, a few times, with a pause.
 * Others stay until the user acts (a name the file system refuses, a full
 * disk, no permission): fetching the piece again would fail the same way, so
 * the torrent stops with the error shown, as Transmission and libtorrent
 * stop a torrent on a disk error. A passing failure that keeps failing past
 * the retries is treated as lasting too.
 */
import { StorageError } from "./errors.ts";

/** Failures that no retry can heal. */
const LASTING = new Set([
  "ENAMETOOLONG",
  "ENOSPC",
  "EDQUOT",
  "EACCES",
  "EPERM",
  "EROFS",
  "EFBIG",
  "ENOTDIR",
  "EISDIR",
  "EEXIST",
  "ELOOP",
  "EINVAL",
  "ENXIO",
  "ENODEV",
  "ESTALE",
]);

/** What the user reads after the system's code. */
const HINTS: Record<string, string> = {
  ENAMETOOLONG: "a name or path longer than the file system allows",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  EFBIG: "the file is too large for the file system",
  ENOTDIR: "a file is in the way",
  EEXIST: "a file is in the way",
  EISDIR: "a folder is in the way",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EIO: "the disk reported an I/O error",
};

/** Whether a failure with this system code can heal by retrying. */
export function isTransientErrno(errno: string | undefined): boolean {
  return errno === undefined || !LASTING.has(errno);
}

/**
 * A failed operation on `path` as a StorageError: `cannot write '<path>':
 * ENOSPC (the disk is full)`, lasting or not as the code says.
 */
export function ioError(
  verb: string,
  path: string | undefined,
  errno: string | undefined,
  cause?: unknown,
  permanent = !isTransientErrno(errno),
): StorageError {
  const code = errno ?? "error";
  const hint = HINTS[code] ? ` (${HINTS[code]})` : "";
  const where = path === undefined ? "" : ` '${path}'`;
  return new StorageError("io_failed", `cannot ${verb}${where}: ${code}${hint}`, {
    cause,
    errno,
    permanent,
  });
}

/** The same failure, now lasting: it kept coming back after `tries` attempts. */
export function persisted(err: StorageError, tries: number): StorageError {
  if (err.permanent) return err;
  return new StorageError(err.code, `${err.message}; still failing after ${tries} tries`, {
    cause: err,
    errno: err.errno,
    permanent: true,
  });
}
