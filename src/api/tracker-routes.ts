/**
 * `/api/v1/torrents/{ref}/trackers`: add one (`POST {url, tier?}`), replace
 * one's URL (`PUT …/{id} {url}`), remove one (`DELETE …/{id}`); each answers
 * with the torrent's trackers after. Ids are those `GET …/trackers` gives.
 */
import type { IncomingMessage } from "node:http";
import { ApiError } from "./errors.ts";
import { readJsonObject } from "./http-body.ts";
import type { ShoalApi } from "./shoal-api.ts";
import type { TrackerView } from "./types.ts";

/** What these routes read of rest-routes.ts's RouteContext (not imported: no cycle). */
interface Context {
  api: ShoalApi;
  req: IncomingMessage;
  params: Record<string, string>;
}

interface TrackerRoute {
  method: "POST" | "PUT" | "DELETE";
  path: string;
  handler: (c: Context) => Promise<TrackerView[]>;
}

function trackerId(c: Context): number {
  const text = c.params.id!;
  if (!/^\d{1,6}$/.test(text)) {
    throw new ApiError("invalid_input", "a tracker's id is a whole number (see GET …/trackers)");
  }
  return Number(text);
}

export const TRACKER_ROUTES: TrackerRoute[] = [
  {
    method: "POST",
    path: "/torrents/:ref/trackers",
    handler: async (c) => {
      const { url, tier, ...rest } = await readJsonObject(c.req);
      if (Object.keys(rest).length > 0) {
        throw new ApiError("invalid_input", `trackers: unknown field '${Object.keys(rest)[0]}'`);
      }
      const add = tier === undefined ? { url } : { url, tier };
      return c.api.editTrackers(c.params.ref!, { add: [add as { url: string }] });
    },
  },
  {
    method: "PUT",
    path: "/torrents/:ref/trackers/:id",
    handler: async (c) => {
      const { url, ...rest } = await readJsonObject(c.req);
      if (Object.keys(rest).length > 0) {
        throw new ApiError("invalid_input", `trackers: unknown field '${Object.keys(rest)[0]}'`);
      }
      const id = trackerId(c);
      return c.api.editTrackers(c.params.ref!, { replace: [{ id, url: url as string }] });
    },
  },
  {
    method: "DELETE",
    path: "/torrents/:ref/trackers/:id",
    handler: (c) => c.api.editTrackers(c.params.ref!, { remove: [trackerId(c)] }),
  },
];
