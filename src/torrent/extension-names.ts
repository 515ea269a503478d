/**
 * The names in BEP 10's `m` of the extensions a torrent's connections
 * speak, apart from their handlers: the torrent registers them before the
 * swarm's modules are loaded (swarm-loader.ts).
 */

/** BEP 9: the metadata exchange. */
export const UT_METADATA = "ut_metadata";
/** BEP 11: peer exchange. */
export const PEX_EXTENSION = "ut_pex";
