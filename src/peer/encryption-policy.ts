/**
 * The encryption policies a connection negotiates under (negotiate.ts),
 * apart from the negotiation: settings and flags name them at start,
 * the negotiation loads with the first connection (negotiation-loader.ts).
 */

/**
 * Which connections are encrypted (MSE), as Transmission and libtorrent
 * offer it: "disabled", plaintext only; "enabled", both accepted, plaintext
 * dialled; "prefer", both accepted, encrypted dialled (the caller redials
 * plaintext when the peer does not speak MSE); "required", encrypted only.
 */
export type EncryptionPolicy = "disabled" | "enabled" | "prefer" | "required";

export const ENCRYPTION_POLICIES: readonly EncryptionPolicy[] = [
  "disabled",
  "enabled",
  "prefer",
  "required",
];
