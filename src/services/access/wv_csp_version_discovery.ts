/** WV-CSP-VersionDiscovery-Request (1.2+): lists every CSP version this server speaks. */
import { CSP_VERSIONS, NAMESPACES } from "../../codec/csp/versions.ts";
import type { PrimitiveModule } from "../../session/handler.ts";
import type { Access } from "./element.ts";

export function versionDiscovery(_access: Access): PrimitiveModule {
  return {
    name: "WV-CSP-VersionDiscovery-Request",
    sessionless: true,
    versions: ["1.2", "1.3"],
    handle() {
      return Promise.resolve({
        name: "WV-CSP-VersionDiscovery-Response",
        body: {
          VersionList: {
            SessionNSName: CSP_VERSIONS.map((v) => NAMESPACES[v].csp),
            TransactionNSName: CSP_VERSIONS.map((v) => NAMESPACES[v].trc),
            PresenceAttributeNSName: CSP_VERSIONS.map((v) => NAMESPACES[v].pa),
          },
        },
      });
    },
  };
}
