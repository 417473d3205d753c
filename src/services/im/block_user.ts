/** BlockUser-Request: the 1.1 name of BlockEntity-Request (same token, same handling); either name
 * is taken in every version. */
import type { PrimitiveModule } from "../../session/handler.ts";
import { blockEntityRequest } from "./block_entity.ts";
import type { Im } from "./element.ts";

export function blockUserRequest(im: Im): PrimitiveModule {
  return {
    ...blockEntityRequest(im),
    name: "BlockUser-Request",
  };
}
