import { ShoalError } from "../util/index.ts";

/** A client operation refused: its code says which (duplicate_torrent, unknown_torrent, ...). */
export class ClientError extends ShoalError {}
