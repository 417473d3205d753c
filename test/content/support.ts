/** An HTTP client for the content endpoints, in-process or over a real port of the same app. */
import assert from "node:assert/strict";
import type { CspClient, Harness } from "../support/harness.ts";

export interface ContentApi extends AsyncDisposable {
  upload(
    as: CspClient | string | undefined,
    bytes: Uint8Array<ArrayBuffer>,
    type?: string,
  ): Promise<Response>;
  get(as: CspClient | string | undefined, location: string): Promise<Response>;
  delete(as: CspClient | string | undefined, location: string): Promise<Response>;
}

/** `as`: a logged-in client (its session), a raw session id, or nobody. `bearer` picks the
 * Authorization header instead of x-wv-sessionid. */
export function contentApi(h: Harness, options: { overHttp?: boolean; bearer?: boolean } = {}) {
  let http: Deno.HttpServer | undefined;
  let base = "http://content.test";
  if (options.overHttp) {
    http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, h.server.app.fetch);
    base = `http://127.0.0.1:${(http.addr as Deno.NetAddr).port}`;
  }
  const call = async (
    method: string,
    path: string,
    as: CspClient | string | undefined,
    body?: Uint8Array<ArrayBuffer>,
    type?: string,
  ) => {
    const headers = new Headers();
    const session = typeof as === "string" ? as : as?.sessionId;
    if (session) {
      if (options.bearer) headers.set("authorization", `Bearer ${session}`);
      else headers.set("x-wv-sessionid", session);
    }
    if (type) headers.set("content-type", type);
    const url = new URL(path, base).href;
    return options.overHttp
      ? await fetch(url, { method, headers, body })
      : await h.server.app.request(url, { method, headers, body });
  };
  const api: ContentApi = {
    upload: (as, bytes, type) => call("POST", "/content/", as, bytes, type),
    get: (as, location) => call("GET", location, as),
    delete: (as, location) => call("DELETE", location, as),
    async [Symbol.asyncDispose]() {
      await http?.shutdown();
    },
  };
  return api;
}

/** Uploads and insists on 201; returns the Location. */
export async function uploadOk(
  api: ContentApi,
  as: CspClient,
  bytes: Uint8Array<ArrayBuffer>,
  type = "application/octet-stream",
): Promise<string> {
  const res = await api.upload(as, bytes, type);
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const location = res.headers.get("location")!;
  assert.match(location, /^\/content\/[0-9a-f]{32}$/);
  const described = JSON.parse(text);
  assert.equal(new URL(described.url).pathname, location);
  assert.equal(described.size, bytes.length);
  assert.equal(described.contentType, type);
  return location;
}

/** Reads a response's status, draining its body. */
export async function statusOf(response: Promise<Response>): Promise<number> {
  const res = await response;
  await res.body?.cancel();
  return res.status;
}

export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}
