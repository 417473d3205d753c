/**
 * Login-Request: 2-way (password) and 4-way (digest) login (digest §2.2).
 *
 * Password login checks a slow salted hash. Digest login proves knowledge of the password with
 * HASH(nonce ‖ password), so the server needs the password itself: it is kept sealed with the
 * server key (IMPS_SECRET or the key file beside the KV file). A user whose password is not
 * sealed under the current key (added before the server had one, or before a key change) gets
 * it sealed at their next password login. Unknown users and wrong credentials get the same
 * answer (409), in about the same time.
 *
 * Failed logins are throttled per user id and client address (login_throttle.ts): a login that
 * must wait is answered 503 with the seconds left in the Description (and, in 1.3, in
 * TryAgainTimeout), before any credential is looked at. 503 ("service unavailable") is what
 * clients take as "try later": 409 would have a phone ask its user for a password that may be
 * right, and no CSP code says "locked".
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { result } from "../../session/status.ts";
import { int, obj, str, strs } from "../../session/values.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import type { UserRecord } from "../../store/users.ts";
import {
  checkPassword,
  constantTimeEqual,
  DIGEST_SCHEMAS,
  fromBase64,
  loginDigest,
} from "../../util/crypto.ts";
import { QueueFull } from "../../util/fair_queue.ts";
import { randomHex } from "../../util/ids.ts";
import { parseUserId } from "../shared/ids.ts";
import { agreeCapabilities, applyCapabilities } from "./client_capability.ts";
import type { Access } from "./element.ts";
import type { Hold } from "./login_throttle.ts";
import { log } from "../../observe/log.ts";
import { agreeServices } from "./service.ts";

export function login(access: Access): PrimitiveModule {
  return {
    name: "Login-Request",
    sessionless: true,
    handle: (ctx, body) => handleLogin(access, ctx, body),
  };
}

async function handleLogin(
  access: Access,
  ctx: RequestContext,
  body: ElementObject,
): Promise<Primitive> {
  const reply = (code: number, extra: ElementObject = {}, description?: string): Primitive => ({
    name: "Login-Response",
    body: { ClientID: body.ClientID, Result: result(code, description), ...extra },
  });
  const rawId = str(body.UserID);
  if (!rawId) return reply(531, {}, "UserID missing");
  const address = parseUserId(rawId, ctx.server.config.domain);
  if (!address) return reply(409);
  if (address.domain !== ctx.server.config.domain) return reply(516);
  const held = access.throttle.hold(address.id, ctx.clientAddress);
  if (held) return waitReply(ctx, held, reply);
  const user = await ctx.server.users.get(address.id);

  const password = str(body.Password);
  const digestBytes = str(body.DigestBytes);
  if (password !== undefined || digestBytes !== undefined) {
    let ok;
    if (password !== undefined) {
      const client = ctx.clientAddress ?? "";
      try {
        ok = user
          ? await checkPassword(password, user.password, client)
          : await decoy(access, password, client);
      } catch (error) {
        // Too many password checks waiting: the server is busy, not the password wrong.
        if (error instanceof QueueFull) return reply(503, {}, "Too many logins at once");
        throw error;
      }
    } else ok = user !== undefined && await verifyDigest(access, ctx, user, digestBytes!);
    if (!ok || !user) return failed(access, ctx, address.id, reply);
    access.throttle.succeeded(user.id);
    if (password !== undefined) await sealIfNeeded(ctx, user, password);
  } else if (body.DigestSchema !== undefined) {
    return await offerDigest(access, ctx, user, strs(body.DigestSchema), reply);
  } else {
    return reply(400, {}, "Password, DigestSchema or DigestBytes required");
  }

  const session = await resumeOrStart(ctx, address.id, body);
  // From here the caller has a session: the answer carries Poll, T when login already queued
  // something for it (messages that waited, authorisation requests).
  ctx.session = session;
  const extra: ElementObject = {
    SessionID: session.id,
    KeepAliveTime: session.ttl,
    CapabilityRequest: session.capabilities === undefined,
  };
  if (ctx.version === "1.3") {
    const asked = obj(body.Functions);
    const denied = asked && await agreeServices(ctx, session, asked);
    if (denied) extra.Functions = denied;
    if (session.capabilities !== undefined) extra.AgreedCapabilityList = session.capabilities;
  }
  return reply(200, extra, "");
}

type Reply = (code: number, extra?: ElementObject, description?: string) => Primitive;

/** A wrong password or digest: counted, logged, answered 409 (or 503 if it starts a hold). */
function failed(access: Access, ctx: RequestContext, userId: string, reply: Reply): Primitive {
  ctx.server.metrics.loginFailures.inc();
  const hold = access.throttle.failed(userId, ctx.clientAddress);
  if (!hold) {
    log.info("login failed", { user: userId, addr: ctx.clientAddress });
    return reply(409);
  }
  if (hold.locked) {
    log.warn("login locked out", {
      user: userId,
      addr: ctx.clientAddress,
      by: hold.by,
      seconds: hold.seconds,
    });
  } else log.info("login failed", { user: userId, addr: ctx.clientAddress, wait: hold.seconds });
  return reply(409);
}

/** A login refused while its user or address waits: 503, with the seconds left. */
function waitReply(ctx: RequestContext, hold: Hold, reply: Reply): Primitive {
  ctx.server.metrics.limited.inc({ limit: hold.locked ? "login_lockout" : "login_backoff" });
  const what = hold.locked ? "Too many failed logins" : "Failed logins";
  const primitive = reply(503, {}, `${what}: try again in ${hold.seconds} s`);
  if (ctx.version === "1.3") {
    (primitive.body.Result as ElementObject).TryAgainTimeout = hold.seconds;
  }
  return primitive;
}

async function decoy(access: Access, password: string, client: string): Promise<false> {
  await checkPassword(password, await access.decoy, client);
  return false;
}

/** Step 1 of the 4-way login: pick a schema and hand out a nonce for this attempt. */
async function offerDigest(
  access: Access,
  ctx: RequestContext,
  user: UserRecord | undefined,
  offered: string[],
  reply: (code: number, extra?: ElementObject, description?: string) => Primitive,
): Promise<Primitive> {
  // A password sealed under another key cannot be checked either: such a user is answered as
  // one who has none sealed (until the next password login seals it again).
  const canDigest = user === undefined ||
    (user.sealedPassword !== undefined &&
      await ctx.server.sealer.open(user.sealedPassword, user.id) !== undefined);
  const schema = canDigest
    ? DIGEST_SCHEMAS.find((s) => offered.map((o) => o.toUpperCase()).includes(s))
    : undefined;
  if (!schema) {
    // Plain password is the only way left; PWD in the offer means the client can send one.
    return offered.some((o) => o.toUpperCase() === "PWD")
      ? reply(200, { DigestSchema: "PWD" }, "Send password")
      : reply(543);
  }
  // An unknown user gets a nonce too (never stored), so the answer does not tell who exists.
  if (!user) return reply(200, { Nonce: randomHex(16), DigestSchema: schema }, "Send digest");
  const issued = await access.nonces.issue(user.id, schema, ctx.clientAddress ?? "");
  if (!issued) return reply(503, {}, "Too many logins in progress for this user: try again");
  return reply(200, { Nonce: issued.nonce, DigestSchema: schema }, "Send digest");
}

/** Step 2: the digest must prove one of the user's outstanding nonces, which it uses up. */
async function verifyDigest(
  access: Access,
  ctx: RequestContext,
  user: UserRecord,
  digestBase64: string,
): Promise<boolean> {
  const given = fromBase64(digestBase64);
  const password = user.sealedPassword &&
    await ctx.server.sealer.open(user.sealedPassword, user.id);
  return await access.nonces.redeem(
    user.id,
    ctx.clientAddress ?? "",
    ({ nonce, schema }) =>
      given !== undefined && password !== undefined &&
      constantTimeEqual(given, loginDigest(schema, nonce, password)),
  );
}

/** Seals the password of a user who logged in with it, when no digest could be checked for
 * them yet: added before the server had a key, or sealed under an earlier key. */
async function sealIfNeeded(ctx: RequestContext, user: UserRecord, password: string) {
  const { sealer, users } = ctx.server;
  if (user.sealedPassword && await sealer.open(user.sealedPassword, user.id) === password) return;
  await users.put({ ...user, sealedPassword: await sealer.seal(password, user.id) });
}

/** A Login carrying the SessionID of the user's still-valid session resumes it. */
async function resumeOrStart(
  ctx: RequestContext,
  userId: string,
  body: ElementObject,
): Promise<SessionRecord> {
  const previous = str(body.SessionID);
  if (previous) {
    const check = await ctx.server.sessions.check(previous);
    if (check.state === "valid" && check.session.userId === userId) return check.session;
  }
  const ttl = ctx.server.sessions.negotiateTtl(int(body.TimeToLive));
  let session = await ctx.server.sessions.start({
    userId,
    version: ctx.version,
    clientId: obj(body.ClientID),
    cookie: str(body.SessionCookie),
    ttl,
    multiTrans: 1,
  });
  const capabilities = obj(body.CapabilityList);
  if (ctx.version === "1.3" && capabilities) {
    session = await applyCapabilities(
      ctx,
      session,
      await agreeCapabilities(ctx, session, capabilities),
    );
  }
  return session;
}
