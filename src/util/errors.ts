/**
 * Base class for every error shoal raises on purpose. `code` is a stable,
 * machine-readable name (tests and the CLI switch on it); the message is
 * written for the person who has to act on it.
 */
export class ShoalError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True for errors shoal raised on purpose (as opposed to bugs). */
export function isShoalError(err: unknown): err is ShoalError {
  return err instanceof ShoalError;
}
