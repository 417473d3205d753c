/**
 * CSP in WBXML (digest §6): versions 1.1, 1.2 and 1.3, read into the element tree the XML readers
 * produce (by the core, `core.parseWbxml`, from these tables) and written from the typed message,
 * behind the CspEncoding interface.
 */
import type { CspEncoding } from "../csp/encoding.ts";
import { UnreadableMessage } from "../csp/encoding.ts";
import type { CspVersion } from "../csp/message.ts";
import { encodeCspWbxml } from "./encode.ts";
import { WbxmlError, type WbxmlTreeSource } from "./tree.ts";

export { WbxmlError, type WbxmlTreeSource } from "./tree.ts";
export { encodeCspWbxml, encodeWbxmlTree } from "./encode.ts";
export { WbxmlWriter } from "./write.ts";

/**
 * CSP in WBXML, read with `source` (a core's tokenizer). `defaultVersion` is the version of a
 * document whose public id and root xmlns do not say (its content type's).
 */
export function wbxmlEncoding(source: WbxmlTreeSource, defaultVersion: CspVersion): CspEncoding {
  return {
    name: "WBXML",
    decode(body, limits) {
      try {
        return source(body, limits, defaultVersion);
      } catch (error) {
        if (error instanceof WbxmlError) {
          throw new UnreadableMessage("WBXML", error.message, error.offset);
        }
        throw error;
      }
    },
    encode: encodeCspWbxml,
  };
}
