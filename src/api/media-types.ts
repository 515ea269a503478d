/**
 * The Content-Type of a torrent's file, from its extension: what a browser
 * plays or shows itself (audio, video, images, text, PDF). Nothing that
 * would run in the daemon's origin (HTML, SVG, JavaScript): those, and
 * anything unknown, are application/octet-stream, downloaded rather than
 * opened (with nosniff, and a sandboxing CSP on every file besides).
 */
const BY_EXTENSION: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  webm: "video/webm",
  mkv: "video/x-matroska",
  mov: "video/quicktime",
  avi: "video/x-msvideo",
  ogv: "video/ogg",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  aac: "audio/aac",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  opus: "audio/ogg",
  flac: "audio/flac",
  wav: "audio/wav",
  weba: "audio/webm",
  txt: "text/plain; charset=utf-8",
  nfo: "text/plain; charset=utf-8",
  srt: "text/plain; charset=utf-8",
  vtt: "text/vtt; charset=utf-8",
  md: "text/plain; charset=utf-8",
  pdf: "application/pdf",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
};

export const DEFAULT_MEDIA_TYPE = "application/octet-stream";

/** The media type for a file named `path` (its last extension, any case). */
export function mediaTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return DEFAULT_MEDIA_TYPE;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? DEFAULT_MEDIA_TYPE;
}

/**
 * Content-Disposition for a file shown in the browser, named `path`'s last
 * component (RFC 6266: an ASCII fallback and the UTF-8 name, RFC 8187).
 */
export function contentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const utf8 = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `inline; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}
