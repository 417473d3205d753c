/**
 * The CSP SMS binding (WV-046, "PTS", content type `application/vnd.wv.csp.sms`): a third
 * encoding of CSP beside XML and WBXML, read into the same element tree and written from the
 * same typed messages; and its segmentation over several SMS.
 */
export { decodePts, encodePts, PTS_TRANSACTION_ID, PtsEncodeError } from "./message.ts";
export {
  DEFAULT_PTS_LIMITS,
  parsePts,
  PREAMBLE,
  type PtsLimits,
  PtsSyntaxError,
  type PtsText,
  type PtsValue,
  quote,
  writePts,
} from "./syntax.ts";
export { primitiveOfCode, transactionCode } from "./codes.ts";
export {
  type Assembled,
  DATA_SMS,
  type Incomplete,
  isGsmText,
  MAX_PARTS,
  SegmentAssembler,
  type SmsCapacity,
  smsLength,
  splitPts,
  TEXT_SMS,
} from "./segments.ts";

/** The media type of CSP in the SMS binding, over HTTP. */
export const PTS_CONTENT_TYPE = "application/vnd.wv.csp.sms";
