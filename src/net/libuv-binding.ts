/**
 * Access to the libuv handle bindings node:net and node:dgram are built on
 * (`process.binding`), for the tracker's hot paths (libuv-tcp.ts,
 * libuv-udp.ts). They are internal to Node: each user checks the shape it
 * relies on and falls back to the public module when it differs. None is
 * used when Node is asked to report deprecated APIs (--pending-deprecation),
 * as process.binding is one.
 */
/** The binding `name`, or undefined where this Node does not offer it. */
export function libuvBinding(name: string): Record<string, unknown> | undefined {
  if (process.execArgv.includes("--pending-deprecation") || process.env.NODE_PENDING_DEPRECATION) {
    return undefined;
  }
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> })
      .binding;
    return binding(name);
  } catch {
    // Not offered here (e.g. under the permission model).
    return undefined;
  }
}

/** A libuv error code (negative errno) as the error node:net or node:dgram would throw. */
export function uvError(err: number, syscall: string, where: string): NodeJS.ErrnoException {
  let code: string;
  try {
    // Not imported: an ESM import of node:util builds a facade over all its
    // exports, loading parts never used (parseArgs, diff), ~4 ms of every start.
    code = process.getBuiltinModule("node:util").getSystemErrorName(err);
  } catch {
    code = `E${-err}`;
  }
  return Object.assign(new Error(`${syscall} ${code} ${where}`), { code, errno: err, syscall });
}
