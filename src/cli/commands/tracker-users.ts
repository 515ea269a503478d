/**
 * `shoal tracker users add|list|disable|enable|rotate-passkey|grant-publish|revoke-publish --data-dir DIR`:
 * a private tracker's members (`shoal tracker --private`), in the tracker's
 * own database, changed while it runs.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Member, openMembers } from "../../tracker-server/index.ts";
import { formatBytes } from "../../util/index.ts";
import { type CliIO, UsageError } from "../io.ts";
import { formatTable } from "./tracker-client.ts";

const ACTIONS = [
  "add",
  "list",
  "disable",
  "enable",
  "rotate-passkey",
  "grant-publish",
  "revoke-publish",
] as const;

export async function usersCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "data-dir": { type: "string" },
      "can-publish": { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const [action, name, ...rest] = positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new UsageError(`tracker users: expected ${ACTIONS.join(", ")}, got '${action ?? ""}'`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (action !== "list" && !name)
    throw new UsageError(`tracker users ${action}: missing the member's name`);
  if (!values["data-dir"])
    throw new UsageError("tracker users: --data-dir is required (the tracker's)");
  const { members, close } = openMembers(resolve(io.cwd, values["data-dir"]));
  try {
    if (action === "list") {
      const all = members.list();
      if (values.json) io.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      else io.stdout.write(listText(all));
      return 0;
    }
    const member =
      action === "add"
        ? members.add(name!, { canPublish: Boolean(values["can-publish"]) })
        : action === "rotate-passkey"
          ? members.rotatePasskey(name!)
          : action === "grant-publish" || action === "revoke-publish"
            ? members.setCanPublish(name!, action === "grant-publish")
            : members.setDisabled(name!, action === "disable");
    // The passkey alone on its line: what a script reads.
    if (action === "add" || action === "rotate-passkey") io.stdout.write(`${member.passkey}\n`);
    else if (action === "grant-publish" || action === "revoke-publish") {
      io.stdout.write(`${member.name} ${member.canPublish ? "may" : "may not"} publish\n`);
    } else io.stdout.write(`${member.name} ${member.disabled ? "disabled" : "enabled"}\n`);
    return 0;
  } finally {
    close();
  }
}

function ratio(m: Member): string {
  if (m.downloaded === 0) return m.uploaded === 0 ? "–" : "∞";
  return (m.uploaded / m.downloaded).toFixed(2);
}

function listText(all: Member[]): string {
  if (all.length === 0) return "no members\n";
  return formatTable(
    ["NAME", "STATE", "PUBLISH", "UPLOADED", "DOWNLOADED", "RATIO", "PASSKEY"],
    all.map((m) => [
      m.name,
      m.disabled ? "disabled" : "enabled",
      m.canPublish ? "yes" : "no",
      formatBytes(m.uploaded),
      formatBytes(m.downloaded),
      ratio(m),
      m.passkey,
    ]),
  );
}
