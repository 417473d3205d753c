/** Per-version namespaces and HTTP content types of CSP (digest §1.2, §5.1). */
import type { CspVersion } from "./message.ts";

export const CSP_VERSIONS: readonly CspVersion[] = ["1.1", "1.2", "1.3"];

export interface CspNamespaces {
  /** Root `WV-CSP-Message xmlns`. */
  csp: string;
  /** `TransactionContent xmlns`. */
  trc: string;
  /** `PresenceSubList xmlns`. */
  pa: string;
}

export const NAMESPACES: Readonly<Record<CspVersion, CspNamespaces>> = {
  "1.1": {
    csp: "http://www.wireless-village.org/CSP1.1",
    trc: "http://www.wireless-village.org/TRC1.1",
    pa: "http://www.wireless-village.org/PA1.1",
  },
  "1.2": {
    csp: "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
    trc: "http://www.openmobilealliance.org/DTD/WV-TRC1.2",
    pa: "http://www.openmobilealliance.org/DTD/WV-PA1.2",
  },
  "1.3": {
    csp: "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
    trc: "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3",
    pa: "http://www.openmobilealliance.org/DTD/IMPS-PA1.3",
  },
};

/** The content type each version's XML encoding is sent with. */
export const XML_CONTENT_TYPES: Readonly<Record<CspVersion, string>> = {
  "1.1": "application/vnd.wv.csp.xml",
  "1.2": "application/vnd.wv.csp.xml",
  "1.3": "application/vnd.wv.csp+xml",
};

/** The content type each version's WBXML encoding is sent with. */
export const WBXML_CONTENT_TYPES: Readonly<Record<CspVersion, string>> = {
  "1.1": "application/vnd.wv.csp.wbxml",
  "1.2": "application/vnd.wv.csp.wbxml",
  "1.3": "application/vnd.wv.csp+wbxml",
};

const VERSION_BY_CSP_NAMESPACE = new Map<string, CspVersion>(
  CSP_VERSIONS.map((version) => [NAMESPACES[version].csp, version]),
);

/** The CSP version whose root namespace this is, or undefined. */
export function versionFromNamespace(namespace: string): CspVersion | undefined {
  return VERSION_BY_CSP_NAMESPACE.get(namespace.trim());
}

/** The root namespace families, without version suffix (1.0 and any later version share them). */
const CSP_NAMESPACE_FAMILIES = [
  "http://www.wireless-village.org/CSP",
  "http://www.openmobilealliance.org/DTD/WV-CSP",
  "http://www.openmobilealliance.org/DTD/IMPS-CSP",
];

/** True for a CSP root namespace of any version, supported or not (answered 505, not 400). */
export function isCspNamespace(namespace: string): boolean {
  const ns = namespace.trim();
  return CSP_NAMESPACE_FAMILIES.some((family) => ns.startsWith(family));
}
