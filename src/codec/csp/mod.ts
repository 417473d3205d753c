/** The CSP XML codec: envelope, schema-driven element values, versions and typed bodies. */
export type {
  Attributes,
  CspMessage,
  CspTransaction,
  CspVersion,
  ElementObject,
  ElementValue,
  Primitive,
} from "./message.ts";
export { CspCodecError, decodeCsp, decodeCspBytes, encodeCsp, writeCsp } from "./envelope.ts";
export {
  decodeElement,
  decodeObject,
  encodeElement,
  type EncodeOptions,
  writeElement,
} from "./element.ts";
export {
  type ChildSpec,
  type ElementModel,
  elementModel,
  isKnownPrimitive,
  type ValueKind,
} from "./schema.ts";
export {
  CSP_VERSIONS,
  type CspNamespaces,
  isCspNamespace,
  NAMESPACES,
  versionFromNamespace,
  WBXML_CONTENT_TYPES,
  XML_CONTENT_TYPES,
} from "./versions.ts";
