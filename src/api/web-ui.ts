/**
 * The web UI's files, served by the control plane at `/` (issue 17): the
 * page, its script and style from `web/`, and the front-end library
 * (preact, htm) from node_modules, so the browser asks no host but the
 * daemon (no CDN). A fixed table of paths: nothing in a request's path
 * reaches the file system. The UI talks only to the public API (`/api/v1`).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));
const require = createRequire(import.meta.url);

interface Asset {
  /** Absolute path of the file served. */
  file: () => string;
  type: string;
}

const JS = "text/javascript; charset=utf-8";

/** URL path → file. The library's ES module builds sit beside their CommonJS entry points. */
const ASSETS: Record<string, Asset> = {
  "/": { file: () => join(WEB_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/ui/app.js": { file: () => join(WEB_DIR, "app.js"), type: JS },
  "/ui/api.js": { file: () => join(WEB_DIR, "api.js"), type: JS },
  "/ui/details.js": { file: () => join(WEB_DIR, "details.js"), type: JS },
  "/ui/file-tree.js": { file: () => join(WEB_DIR, "file-tree.js"), type: JS },
  "/ui/file-player.js": { file: () => join(WEB_DIR, "file-player.js"), type: JS },
  "/ui/format.js": { file: () => join(WEB_DIR, "format.js"), type: JS },
  "/ui/piece-map.js": { file: () => join(WEB_DIR, "piece-map.js"), type: JS },
  "/ui/settings.js": { file: () => join(WEB_DIR, "settings.js"), type: JS },
  "/ui/speed-graph.js": { file: () => join(WEB_DIR, "speed-graph.js"), type: JS },
  "/ui/theme.js": { file: () => join(WEB_DIR, "theme.js"), type: JS },
  "/ui/limits.js": { file: () => join(WEB_DIR, "limits.js"), type: JS },
  "/ui/torrent-table.js": { file: () => join(WEB_DIR, "torrent-table.js"), type: JS },
  "/ui/tracker-list.js": { file: () => join(WEB_DIR, "tracker-list.js"), type: JS },
  "/ui/style.css": { file: () => join(WEB_DIR, "style.css"), type: "text/css; charset=utf-8" },
  "/ui/vendor/preact.mjs": { file: () => require.resolve("preact"), type: JS },
  "/ui/vendor/hooks.mjs": { file: () => require.resolve("preact/hooks"), type: JS },
  "/ui/vendor/htm.mjs": {
    file: () => join(dirname(require.resolve("htm")), "htm.module.js"),
    type: JS,
  },
};

/** True for a path the web UI serves. */
export function isWebUiPath(path: string): boolean {
  return Object.hasOwn(ASSETS, path);
}

/**
 * Content Security Policy: scripts only from the daemon, plus the page's one
 * inline script (the import map naming the library's modules), allowed by
 * its hash; no framing (clickjacking), no other host for anything.
 */
function policyFor(html: string): string {
  const hashes = [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash("sha256").update(m[1]!).digest("base64")}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(" ")}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}

export class WebUi {
  readonly #cache = new Map<string, Promise<Buffer>>();

  /** Answers a GET or HEAD of one of the UI's paths. */
  async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const asset = ASSETS[path]!;
    let body = this.#cache.get(path);
    if (body === undefined) {
      body = readFile(asset.file());
      this.#cache.set(path, body);
      body.catch(() => this.#cache.delete(path));
    }
    const bytes = await body;
    const headers: Record<string, string | number> = {
      "content-type": asset.type,
      "content-length": bytes.length,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    };
    if (path === "/") headers["content-security-policy"] = policyFor(bytes.toString("utf8"));
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : bytes);
  }
}

/** A browser asking for a page (its Accept names HTML), not a script asking for JSON. */
export function wantsHtml(req: IncomingMessage): boolean {
  return /\btext\/html\b/.test(req.headers.accept ?? "");
}
