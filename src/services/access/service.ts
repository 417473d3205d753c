/**
 * Service-Request: negotiates the functions of the session (src/session/functions.ts). The
 * answer's Functions names what was asked and is not available (absent when nothing is), as
 * Nokia's engine and Baraza read it; AllFunctions, when asked for, lists everything this server
 * implements (Android's engine reads only that). A feature the client names is agreed with all
 * its implemented functions; later primitives of other features get 506. Before any
 * negotiation, and after a Service-Request without Functions, the agreement is unchanged (at
 * first: every implemented function may be used).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { agreedFunctions, deniedTree, requestedFunctions } from "../../session/functions.ts";
import { functionTree } from "../../session/registry.ts";
import { bool, obj } from "../../session/values.ts";
import type { SessionRecord } from "../../store/sessions.ts";

/** Agrees the requested functions for the session; returns the tree of what is denied. */
export async function agreeServices(
  ctx: RequestContext,
  session: SessionRecord,
  tree: ElementObject,
): Promise<ElementObject | undefined> {
  const implemented = ctx.server.registry.implemented(ctx.version);
  const requested = requestedFunctions(tree, ctx.version);
  const agreed = agreedFunctions(requested, implemented);
  const updated = await ctx.server.sessions.update(session, { services: agreed });
  // A 1.3 Login agrees services before the session is the caller's; only then is it adopted.
  if (ctx.session?.id === session.id) ctx.session = updated;
  return deniedTree(requested, implemented, ctx.version);
}

export const serviceRequest: PrimitiveModule = {
  name: "Service-Request",
  async handle(ctx, body) {
    const response: ElementObject = {};
    if (ctx.version === "1.1" && body.ClientID !== undefined) response.ClientID = body.ClientID;
    const asked = obj(body.Functions);
    const denied = asked && await agreeServices(ctx, ctx.session!, asked);
    if (denied) response.Functions = denied;
    if (bool(body.AllFunctionsRequest)) {
      response.AllFunctions = functionTree(ctx.server.registry.implemented(ctx.version));
    }
    return { name: "Service-Response", body: response };
  },
};
