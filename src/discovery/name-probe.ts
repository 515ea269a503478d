/**
 * Probing (RFC 6762 §8.1): before a responder announces a name it asks the
 * link, three times 250 ms apart, whether anyone already answers for it. An
 * answer with other data for that name means the name is taken.
 *
 * Not done: the random 0–250 ms wait before the first probe, and the
 * tie-break of two hosts probing the same name at once (§8.2).
 */
import type { UdpSocket } from "../net/index.ts";
import type { Clock, TimerHandle } from "../util/index.ts";
import { decodeMessage, encodeMessage } from "./dns-codec.ts";
import { nameKey, sameName } from "./dns-name.ts";
import { DNS_TYPE, type DnsName, type DnsRecord, QUERY_FLAGS } from "./dns-types.ts";
import { MDNS_GROUP, MDNS_PORT } from "./mdns.ts";

export const PROBE_COUNT = 3;
export const PROBE_SPACING_MS = 250;

/** Whether two records of one name hold the same data (TTL and flags aside). */
function sameData(a: DnsRecord, b: DnsRecord): boolean {
  if (a.type === "SRV" && b.type === "SRV") {
    return (
      a.port === b.port &&
      a.priority === b.priority &&
      a.weight === b.weight &&
      nameKey(a.target) === nameKey(b.target)
    );
  }
  if (a.type === "TXT" && b.type === "TXT") {
    return (
      a.strings.length === b.strings.length && a.strings.every((s, i) => s.equals(b.strings[i]!))
    );
  }
  return a.type === b.type;
}

/**
 * Probes for `name`, proposing `records` (the SRV and TXT we mean to hold).
 * Resolves to the first conflicting record heard, or undefined when the
 * name is free after the last probe's wait.
 */
export function probeName(
  sockets: readonly UdpSocket[],
  name: DnsName,
  records: readonly DnsRecord[],
  clock: Clock,
): Promise<DnsRecord | undefined> {
  const probe = encodeMessage({
    id: 0,
    flags: QUERY_FLAGS,
    // §8.1: the first probes ask for unicast answers (QU), for every type.
    questions: [{ name, type: DNS_TYPE.ANY, unicastResponse: true }],
    answers: [],
    // §8.2: the proposed records ride in the authority section.
    authorities: records,
    additionals: [],
  });
  return new Promise((resolve) => {
    let timer: TimerHandle | undefined;
    const finish = (conflict: DnsRecord | undefined) => {
      if (timer) clock.clearTimeout(timer);
      for (const s of sockets) s.off("message", onMessage);
      resolve(conflict);
    };
    const onMessage = (bytes: Buffer) => {
      let msg: ReturnType<typeof decodeMessage>;
      try {
        msg = decodeMessage(bytes);
      } catch {
        return;
      }
      if (!msg.flags.response) return;
      for (const r of [...msg.answers, ...msg.additionals]) {
        if (!sameName(r.name, name) || r.ttl === 0) continue;
        const ours = records.find((o) => o.type === r.type);
        if (ours && !sameData(ours, r)) return finish(r);
      }
    };
    for (const s of sockets) s.on("message", onMessage);
    const send = (round: number) => {
      if (round === PROBE_COUNT) return finish(undefined);
      for (const s of sockets) s.send(probe, MDNS_PORT, MDNS_GROUP[s.family], () => {});
      timer = clock.setTimeout(() => send(round + 1), PROBE_SPACING_MS);
    };
    send(0);
  });
}
