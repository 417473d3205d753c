/** The SSP codec: envelope (decode/encode) and the typed primitives the server speaks. */
export * from "./message.ts";
export { decodeSsp, MAX_TRANSACTIONS } from "./decode.ts";
export { encodeSsp } from "./encode.ts";
export * from "./transactions.ts";
export * from "./presence.ts";
export * from "./invitations.ts";
export * from "./groups.ts";
