/** GetSPInfo-Request: who runs this service; answered without a session. */
import type { PrimitiveModule } from "../../session/handler.ts";

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
        Description: `OMA IMPS service for ${domain}`,
      },
    });
  },
};
