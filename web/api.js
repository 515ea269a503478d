// The daemon's public HTTP API, as the web UI calls it.
export const API = "/api/v1";

/** One API call: its JSON, or an Error with the API's message. */
export async function call(method, path, body, type) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = type ?? "application/json";
    init.body = type === undefined ? JSON.stringify(body) : body;
  }
  const res = await fetch(API + path, init);
  const text = await res.text();
  let json;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new Error(json?.error?.message ?? `${res.status} ${res.statusText}`);
  return json;
}
