/** Every fuzz driver, by name: one per entry point that reads untrusted bytes. */
import type { Driver } from "../driver.ts";
import { rangeHeaderDriver } from "./api.ts";
import { bencodeDriver, ipFilterDriver, magnetDriver, metainfoDriver } from "./codecs.ts";
import { dnsDriver, krpcDriver, lsdDriver } from "./discovery.ts";
import { mseDriver } from "./mse.ts";
import {
  announceQueryDriver,
  httpHeadDriver,
  httpReplyDriver,
  multipartDriver,
  scrapeQueryDriver,
  udpRequestDriver,
  udpResponseDriver,
} from "./tracker.ts";
import { indexQueryDriver, indexReplyDriver, trackerCredentialsDriver } from "./tracker-pages.ts";
import {
  extendedHandshakeDriver,
  framerDriver,
  handshakeDriver,
  messageDriver,
  utMetadataDriver,
  utPexDriver,
} from "./wire.ts";

export const DRIVERS: readonly Driver[] = [
  bencodeDriver,
  metainfoDriver,
  magnetDriver,
  framerDriver,
  handshakeDriver,
  messageDriver,
  extendedHandshakeDriver,
  utMetadataDriver,
  utPexDriver,
  krpcDriver,
  announceQueryDriver,
  scrapeQueryDriver,
  httpHeadDriver,
  multipartDriver,
  httpReplyDriver,
  udpRequestDriver,
  udpResponseDriver,
  lsdDriver,
  dnsDriver,
  mseDriver,
  ipFilterDriver,
  trackerCredentialsDriver,
  indexQueryDriver,
  indexReplyDriver,
  rangeHeaderDriver,
];

export function driverNamed(name: string): Driver | undefined {
  return DRIVERS.find((d) => d.name === name);
}
