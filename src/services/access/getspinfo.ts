/** GetSPInfo-Request: who runs this service; answered without a session. */
import type { PrimitiveModule } from "../../session/handler.ts";
import { PRODUCT, VERSION } from "../../version.ts";

export const getSpInfoRequest: PrimitiveModule = {
  name: "GetSPInfo-Request",
  sessionless: true,
  function: ["FundamentalFeat", "ServiceFunc", "GETSPI"],
  handle(ctx, body) {
    const { spName, domain } = ctx.server.config;
    return Promise.resolve({
      name: "GetSPInfo-Response",
      body: {
        ClientID: body.ClientID,
        Name: spName,
        // The schema has no version element: the software and its version close the description.
        Description: `OMA IMPS service for ${domain} (${PRODUCT} ${VERSION})`,
      },
    });
  },
};
