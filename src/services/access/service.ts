/**
 * Service-Request: negotiates the functions of the session. Functions answers what was asked and
 * is implemented (the agreed set: later primitives outside it get 506); AllFunctions, when asked
 * for, is everything this server implements. Before any negotiation every implemented function
 * may be used.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { functionTree, requestedFunctions } from "../../session/registry.ts";
import { bool, obj } from "../../session/values.ts";
import type { SessionRecord } from "../../store/sessions.ts";

/** Agrees the requested functions for the session and returns the Functions tree to answer. */
export async function agreeServices(
  ctx: RequestContext,
  session: SessionRecord,
  requested: ElementObject | undefined,
): Promise<ElementObject> {
  const implemented = ctx.server.registry.implemented(ctx.version);
  const agreed = requestedFunctions(requested, implemented);
  const updated = await ctx.server.sessions.update(session, { services: [...agreed] });
  // A 1.3 Login agrees services before the session is the caller's; only then is it adopted.
  if (ctx.session?.id === session.id) ctx.session = updated;
  return functionTree(agreed);
}

export const serviceRequest: PrimitiveModule = {
  name: "Service-Request",
  async handle(ctx, body) {
    const functions = await agreeServices(ctx, ctx.session!, obj(body.Functions));
    const response: ElementObject = {};
    if (ctx.version === "1.1" && body.ClientID !== undefined) response.ClientID = body.ClientID;
    response.Functions = functions;
    if (bool(body.AllFunctionsRequest)) {
      response.AllFunctions = functionTree(ctx.server.registry.implemented(ctx.version));
    }
    return { name: "Service-Response", body: response };
  },
};
