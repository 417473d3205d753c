/**
 * The CSP HTTP binding (digest §5.1): one CSP message per POST, the answer in the HTTP response
 * body in the request's encoding and content type, an empty 200 when there is nothing to say.
 * The content type chooses the encoding (cspEncodings); the encoding reads the body into the
 * element tree the CSP codec decodes, and writes the answer.
 *
 * Bad input is answered, never crashed on: a body its encoding cannot read gets HTTP 400; a CSP
 * message whose envelope is wrong gets a CSP Status with the codec's code; too large a body gets
 * 413 and a content type that is not CSP gets 415. The SMS binding (`application/vnd.wv.csp.sms`)
 * goes through transport/sms/http.ts.
 */
import type { Context } from "hono";
import { CspCodecError, decodeCsp } from "../codec/csp/mod.ts";
import { type CspEncoding, UnreadableMessage, xmlEncoding } from "../codec/csp/encoding.ts";
import type { CspMessage } from "../codec/csp/message.ts";
import { PTS_CONTENT_TYPE } from "../codec/sms/mod.ts";
import { wbxmlEncoding, type WbxmlTreeSource } from "../codec/wbxml/mod.ts";
import type { XmlLimits, XmlTreeSource } from "../codec/xml/tree.ts";
import { dispatch } from "../session/dispatcher.ts";
import type { RequestOrigin, ServerContext } from "../session/handler.ts";
import { status } from "../session/status.ts";
import { clientAddress, observedOf } from "./observe_http.ts";
import { SmsRepo } from "../store/sms.ts";
import { ptsOverHttp } from "./sms/http.ts";

export interface CspEndpointOptions {
  server: ServerContext;
  parseXml: XmlTreeSource;
  parseWbxml: WbxmlTreeSource;
  limits: XmlLimits;
}

/**
 * The CSP encodings by media type (lower case, without parameters): every version's spelling of
 * XML and WBXML (digest §5.1). A WBXML document that names no version (neither public id nor
 * xmlns) is taken to be of its content type's: 1.3 for `+wbxml`, else 1.2 (the version AOSP's
 * and Baraza's default to).
 */
export function cspEncodings(
  parseXml: XmlTreeSource,
  parseWbxml: WbxmlTreeSource,
): ReadonlyMap<string, CspEncoding> {
  const xml = xmlEncoding(parseXml);
  return new Map([
    ["application/vnd.wv.csp.xml", xml],
    ["application/vnd.wv.csp+xml", xml],
    ["application/vnd.wv.csp.wbxml", wbxmlEncoding(parseWbxml, "1.2")],
    ["application/vnd.wv.csp+wbxml", wbxmlEncoding(parseWbxml, "1.3")],
  ]);
}

export function cspHandler(options: CspEndpointOptions) {
  const { server, limits } = options;
  const encodings = cspEncodings(options.parseXml, options.parseWbxml);
  const numbers = new SmsRepo(server.store);
  return async (c: Context): Promise<Response> => {
    const contentType = c.req.header("content-type") ?? "";
    const mediaType = contentType.split(";")[0].trim().toLowerCase();
    // The SMS binding is read into the same tree (codec/sms), but numbers the server's
    // transactions per session on the way: its exchange is its own.
    if (mediaType === PTS_CONTENT_TYPE) {
      return await ptsOverHttp(c, server, numbers, limits.maxBytes, clientAddress(c), originOf(c));
    }
    const encoding = encodings.get(mediaType);
    if (!encoding) {
      return c.text(
        `Unsupported content type "${mediaType}": send application/vnd.wv.csp.xml or ` +
          "application/vnd.wv.csp.wbxml (application/vnd.wv.csp+xml or +wbxml for CSP 1.3), " +
          `or ${PTS_CONTENT_TYPE} for the SMS binding`,
        415,
      );
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length > limits.maxBytes) return c.text("Request body too large", 413);

    let request: CspMessage;
    try {
      request = decodeCsp(encoding.decode(bytes, limits));
    } catch (error) {
      if (error instanceof UnreadableMessage) return c.text(error.message, 400);
      if (error instanceof CspCodecError) return cspError(c, mediaType, encoding, error);
      throw error;
    }

    server.metrics.cspMessage(encoding.name, request.version);
    if (request.sessionId) server.smsSessions?.seenOverHttp(request.sessionId);
    const reply = await dispatch(
      server,
      request,
      clientAddress(c),
      originOf(c),
      observedOf(c.req.raw),
    );
    if (reply === null) return c.body(null, 200, { "content-type": mediaType });
    return c.body(encoding.encode(reply), 200, { "content-type": mediaType });
  };
}

/** The URL the request was sent to, and an operator gateway's MSISDN header. */
function originOf(c: Context): RequestOrigin {
  return { url: c.req.url, msisdn: c.req.header("msisdn") ?? c.req.header("x-msisdn") };
}

/**
 * An envelope the codec refused: answered as a CSP Status. A message of an unsupported version
 * is answered in 1.2, the version most clients and servers speak.
 */
function cspError(
  c: Context,
  mediaType: string,
  encoding: CspEncoding,
  error: CspCodecError,
): Response {
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
  return c.body(encoding.encode(message), 200, { "content-type": mediaType });
}
