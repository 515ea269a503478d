/**
 * Where Transmission's RPC is served and the header of its session id:
 * apart from the adapter itself (transmission-rpc.ts), which the control
 * plane loads on the first RPC request, not at every daemon's start.
 */
export const TRANSMISSION_RPC_PATH = "/transmission/rpc";
export const SESSION_ID_HEADER = "x-transmission-session-id";
