/** Picks the XML reader for the configured core (IMPS_CORE). */
import type { CoreKind } from "./config.ts";
import { parseXmlFxp } from "./codec/xml/parse.ts";
import type { XmlTreeSource } from "./codec/xml/tree.ts";

export function loadXmlSource(_core: CoreKind): Promise<XmlTreeSource> {
  return Promise.resolve(parseXmlFxp);
}
