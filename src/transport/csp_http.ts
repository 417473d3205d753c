/**
 * The CSP HTTP binding (digest §5.1): one CSP message per POST, the answer in the HTTP response
 * body with the request's content type, an empty 200 when there is nothing to say.
 *
 * Bad input is answered, never crashed on: a body that is not XML gets HTTP 400; a CSP message
 * whose envelope is wrong gets a CSP Status with the codec's code; too large a body gets 413 and
 * a content type that is not CSP XML gets 415.
 */
import type { Context } from "hono";
import { CspCodecError, decodeCsp, encodeCsp } from "../codec/csp/mod.ts";
import type { CspMessage } from "../codec/csp/message.ts";
import { XmlError, type XmlLimits, type XmlTreeSource } from "../codec/xml/tree.ts";
import { dispatch } from "../session/dispatcher.ts";
import type { ServerContext } from "../session/server_context.ts";
import { status } from "../session/status.ts";
import { clientAddress } from "./observe_http.ts";

export interface CspEndpointOptions {
  server: ServerContext;
  parseXml: XmlTreeSource;
  limits: XmlLimits;
}

const CSP_XML_TYPES = new Set(["application/vnd.wv.csp.xml", "application/vnd.wv.csp+xml"]);

export function cspHandler(options: CspEndpointOptions) {
  const { server, parseXml, limits } = options;
  return async (c: Context): Promise<Response> => {
    const contentType = c.req.header("content-type") ?? "";
    const mediaType = contentType.split(";")[0].trim().toLowerCase();
    if (!CSP_XML_TYPES.has(mediaType)) {
      return c.text(
        `Unsupported content type "${mediaType}": send application/vnd.wv.csp.xml ` +
          "(or application/vnd.wv.csp+xml for CSP 1.3)",
        415,
      );
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > limits.maxBytes) return c.text("Request body too large", 413);

    let request: CspMessage;
    try {
      request = decodeCsp(parseXml(bytes, limits));
    } catch (error) {
      if (error instanceof XmlError) {
        return c.text(`Malformed XML at byte ${error.offset}: ${error.message}`, 400);
      }
      if (error instanceof CspCodecError) return cspError(c, mediaType, error);
      throw error;
    }

    const reply = await dispatch(server, request, clientAddress(c), c.get("observed"));
    if (reply === null) return c.body(null, 200, { "content-type": mediaType });
    return c.body(encodeCsp(reply), 200, { "content-type": mediaType });
  };
}

/**
 * An envelope the codec refused: answered as a CSP Status. A message of an unsupported version
 * is answered in 1.2, the version most clients and servers speak.
 */
function cspError(c: Context, mediaType: string, error: CspCodecError): Response {
  const version = error.version ?? (error.status === 505 ? "1.2" : undefined);
  if (!version) return c.text(`Not a CSP message: ${error.message}`, 400);
  const message: CspMessage = {
    version,
    sessionType: "Outband",
    transactions: [{
      mode: "Response",
      transactionId: error.transactionId ?? "",
      primitive: status(error.status, error.message),
    }],
  };
  return c.body(encodeCsp(message), 200, { "content-type": mediaType });
}
