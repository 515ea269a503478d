/**
 * Just enough multipart/form-data (RFC 7578) to take a file out of an upload
 * form or `curl -F file=@x.torrent`: parts are split on the boundary and their
 * Content-Disposition read; part bodies are zero-copy slices of the request.
 */

export interface FormPart {
  name: string;
  filename?: string;
  contentType: string;
  data: Buffer;
}

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  if (!/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;,]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

function param(disposition: string, key: string): string | undefined {
  const m = new RegExp(`;\\s*${key}="([^"]*)"|;\\s*${key}=([^;\\s]+)`, "i").exec(disposition);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Splits a multipart body; undefined when it is not well formed. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`, "latin1");
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) return undefined;
  for (;;) {
    pos += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) return undefined;
    pos += 2;
    const headEnd = body.indexOf("\r\n\r\n", pos, "latin1");
    if (headEnd < 0) return undefined;
    const head = body.toString("latin1", pos, headEnd);
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`, "latin1"), headEnd + 4);
    if (next < 0) return undefined;
    let disposition = "";
    let contentType = "text/plain";
    for (const line of head.split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-disposition") disposition = value;
      else if (name === "content-type") contentType = value;
    }
    if (!/^form-data/i.test(disposition)) return undefined;
    const part: FormPart = {
      name: param(disposition, "name") ?? "",
      contentType,
      data: body.subarray(headEnd + 4, next),
    };
    const filename = param(disposition, "filename");
    if (filename !== undefined) part.filename = Buffer.from(filename, "latin1").toString("utf8");
    parts.push(part);
    pos = next + 2;
  }
}
