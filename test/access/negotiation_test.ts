/** Conversations about what client and server agree on: capabilities, services, versions, SP info. */
import assert from "node:assert/strict";
import { VERSION } from "../../src/version.ts";
import type { ElementObject } from "../../src/codec/csp/message.ts";
import { startServer, VERSIONS } from "../support/harness.ts";

const CAPABILITIES = `<ClientCapability-Request><CapabilityList>
  <ClientType>MOBILE_PHONE</ClientType><InitialDeliveryMethod>N</InitialDeliveryMethod>
  <AcceptedContentType>text/plain</AcceptedContentType>
  <AcceptedContentLength>10000000</AcceptedContentLength>
  <AcceptedTransferEncoding>BASE64</AcceptedTransferEncoding>
  <ParserSize>65536</ParserSize><MultiTrans>50</MultiTrans><ServerPollMin>1</ServerPollMin>
  <SupportedBearer>HTTP</SupportedBearer><SupportedBearer>WSP</SupportedBearer>
  <SupportedCIRMethod>STCP</SupportedCIRMethod><SupportedCIRMethod>SHTTP</SupportedCIRMethod>
</CapabilityList></ClientCapability-Request>`;

for (const version of VERSIONS) {
  Deno.test(`${version}: alice's capabilities are agreed to what the server supports`, async () => {
    await using h = await startServer({ env: { IMPS_POLL_MIN: "30" } });
    await h.addUser("alice", "secret");
    const alice = h.client("alice", version);
    await alice.login("secret");

    const reply = await alice.send(CAPABILITIES);

    assert.equal(reply.primitive.name, "ClientCapability-Response");
    const agreed = reply
      .body[version === "1.1" ? "CapabilityList" : "AgreedCapabilityList"] as ElementObject;
    assert.equal(agreed.InitialDeliveryMethod, "N");
    assert.equal(agreed.MultiTrans, 16, "capped at the server's maximum");
    assert.equal(agreed.ServerPollMin, 30, "raised to the server's minimum");
    assert.deepEqual([agreed.SupportedBearer].flat(), ["HTTP"]);
    assert.equal(agreed.SupportedCIRMethod, undefined);
    if (version !== "1.3") assert.equal(agreed.AcceptedContentLength, 256 * 1024);
  });

  Deno.test(`${version}: GetSPInfo is answered without a session`, async () => {
    await using h = await startServer({ env: { IMPS_SP_NAME: "Example IM" } });
    const guest = h.client("guest", version);

    const reply = await guest.send(
      "<GetSPInfo-Request><ClientID><URL>http://c</URL></ClientID></GetSPInfo-Request>",
      { outband: true },
    );

    assert.equal(reply.primitive.name, "GetSPInfo-Response");
    assert.equal(reply.body.Name, "Example IM");
    assert.equal(
      reply.body.Description,
      `OMA IMPS service for example.com (IMPS server ${VERSION})`,
    );
    assert.deepEqual(reply.body.ClientID, { URL: "http://c" });
  });
}

Deno.test("alice negotiates services: Functions holds what was asked and exists, AllFunctions all", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");

  const reply = await alice.send(
    `<Service-Request><Functions><WVCSPFeat><FundamentalFeat/><PresenceFeat/></WVCSPFeat></Functions>` +
      `<AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>`,
  );

  assert.equal(reply.primitive.name, "Service-Response");
  const agreed = leaves(reply.body.Functions as ElementObject);
  const all = leaves(reply.body.AllFunctions as ElementObject);
  assert.ok(agreed.includes("FundamentalFeat/ServiceFunc/GETSPI"));
  assert.ok(
    agreed.every((leaf) => /^(FundamentalFeat|PresenceFeat)\//.test(leaf)),
    "only what was asked",
  );
  assert.deepEqual(all, [...h.server.context.registry.implemented("1.2")].sort());
  assert.ok(agreed.every((leaf) => all.includes(leaf)));
});

Deno.test("a function left out of the agreement is refused with 506", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  const spInfo = "<GetSPInfo-Request><ClientID><URL>http://c</URL></ClientID></GetSPInfo-Request>";
  assert.equal((await alice.send(spInfo)).primitive.name, "GetSPInfo-Response", "allowed before");

  const reply = await alice.send(
    `<Service-Request><Functions><WVCSPFeat><IMFeat/></WVCSPFeat></Functions>` +
      `<AllFunctionsRequest>F</AllFunctionsRequest></Service-Request>`,
  );
  assert.ok(
    leaves(reply.body.Functions as ElementObject).every((leaf) => leaf.startsWith("IMFeat/")),
  );

  const refused = await alice.send(spInfo);
  assert.equal(refused.primitive.name, "Status");
  assert.equal(refused.code, 506);
});

/** `Feature/Group/LEAF` paths of a Functions tree, sorted. */
function leaves(tree: ElementObject): string[] {
  const out: string[] = [];
  const walk = (node: ElementObject, path: string[]) => {
    const keys = Object.keys(node).filter((k) => !k.startsWith("@") && !k.startsWith("#"));
    if (keys.length === 0 && path.length === 3) out.push(path.join("/"));
    for (const key of keys) walk(node[key] as ElementObject, [...path, key]);
  };
  walk((tree.WVCSPFeat ?? {}) as ElementObject, []);
  return out.sort();
}

Deno.test("version discovery lists every CSP version this server speaks", async () => {
  await using h = await startServer();
  const guest = h.client("guest", "1.2");

  const reply = await guest.send(
    "<WV-CSP-VersionDiscovery-Request><VersionList/></WV-CSP-VersionDiscovery-Request>",
    { outband: true },
  );

  assert.equal(reply.primitive.name, "WV-CSP-VersionDiscovery-Response");
  const list = reply.body.VersionList as ElementObject;
  assert.deepEqual(list.SessionNSName, [
    "http://www.wireless-village.org/CSP1.1",
    "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
    "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
  ]);
});
