/** `shoal config`: the daemon's effective settings; `--hash-password` for the config file. */
import { parseArgs } from "node:util";
import { hashPassword } from "../../api/index.ts";
import { formatConfig } from "../../daemon/index.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../io.ts";
import { DAEMON_FLAG_HELP, DAEMON_FLAG_OPTIONS, effectiveConfig } from "./daemon-flags.ts";

const HELP = `Usage: shoal config [options]
       shoal config --hash-password < password.txt

Prints the settings 'shoal daemon' would run with, as TOML: the defaults,
the config file over them, the flags over that. Secrets are not printed.
With --hash-password, reads a password from stdin and prints the scrypt hash
to put in the config file's [api] password-hash.

Options:
${DAEMON_FLAG_HELP}      --hash-password         hash a password for [api] password-hash

Example:
  shoal config --config ~/.config/shoal/config.toml --api-port 9092
  printf '%s' 'a long passphrase' | shoal config --hash-password
`;

/** A password is a line; longer input is a mistake (a file piped by accident). */
const MAX_PASSWORD_BYTES = 1024;

export const configCommand: Command = {
  name: "config",
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...DAEMON_FLAG_OPTIONS, "hash-password": { type: "boolean" } },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (values["hash-password"]) {
      const input = io.stdin ?? process.stdin;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of input as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_PASSWORD_BYTES) throw new UsageError("the password is over 1 KiB");
        chunks.push(Buffer.from(chunk));
      }
      const password = Buffer.concat(chunks)
        .toString("utf8")
        .replace(/\r?\n$/, "");
      if (password === "") throw new UsageError("give the password on stdin");
      io.stdout.write(`${await hashPassword(password)}\n`);
      return 0;
    }
    io.stdout.write(formatConfig(await effectiveConfig(values, io)));
    return 0;
  },
};
