/**
 * Node's compile cache (bin/shoal.js turns it on) keeps, for every module
 * it loaded, the cached entry in memory for the process's life: the
 * TypeScript file's stripped text and V8's code cache for it, about 1.6 MiB
 * of malloc for the ~230 modules of a daemon, held only to be written back
 * at exit. module.flushCompileCache() writes what changed and lets go of
 * the rest (Node's CompileCacheHandler::Persist clears its store).
 *
 * The daemon does it once its modules are loaded and before its torrents
 * come back, so the restore's own allocations take the freed memory: freed
 * later, glibc would keep those pages resident all the same. A module
 * loaded afterwards (the API's routes on the first request, a peer
 * connection's modules on the first peer) keeps its entry until exit, as
 * before.
 */
export function releaseCompileCache(): void {
  process.getBuiltinModule("node:module").flushCompileCache();
}
