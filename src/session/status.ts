/** CSP result codes (digest §3) and the Status / Result elements that carry them. */
import type { ElementObject, Primitive } from "../codec/csp/message.ts";

const DESCRIPTIONS: Record<number, string> = {
  200: "Successful",
  201: "Partially successful",
  400: "Bad request",
  401: "Further authorization required",
  402: "Bad parameter",
  403: "Forbidden",
  404: "Not found",
  405: "Service not supported",
  409: "Invalid password",
  420: "Invalid transaction",
  422: "User-ID and Client-ID do not match",
  500: "Internal server error",
  501: "Not implemented",
  503: "Service unavailable",
  505: "Version not supported",
  506: "Service not agreed",
  531: "Unknown user",
  543: "No matching digest scheme supported",
  600: "Session expired",
  601: "Forced logout",
  604: "Invalid session",
};

export function describe(code: number): string {
  return DESCRIPTIONS[code] ?? "";
}

export function result(code: number, description = describe(code)): ElementObject {
  return description ? { Code: code, Description: description } : { Code: code };
}

export function status(code: number, description?: string): Primitive {
  return { name: "Status", body: { Result: result(code, description) } };
}

/** Thrown by a handler for a request it must refuse with a CSP status code. */
export class ProtocolError extends Error {
  constructor(readonly code: number, message?: string) {
    super(message);
  }
}
