/** Conversations about what client and server agree on: capabilities, services, versions, SP info. */
import assert from "node:assert/strict";
import { VERSION } from "../../src/version.ts";
import { startServer, VERSIONS } from "../support/harness.ts";
import { at, element, node, type Value } from "../support/body_reader.ts";

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
    const agreed = element(
      reply.body,
      version === "1.1" ? "CapabilityList" : "AgreedCapabilityList",
    );
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

Deno.test("asked for what exists, Service-Response has no Functions (nothing denied); AllFunctions lists all", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");

  const reply = await alice.send(
    `<Service-Request><Functions><WVCSPFeat><FundamentalFeat><SearchFunc/><InviteFunc/>` +
      `</FundamentalFeat><PresenceFeat/></WVCSPFeat></Functions>` +
      `<AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>`,
  );

  assert.equal(reply.primitive.name, "Service-Response");
  assert.equal(reply.body.Functions, undefined, "Functions names what is denied: nothing");
  const all = leaves(reply.body.AllFunctions);
  assert.deepEqual(all, [...h.server.context.registry.implemented("1.2")].sort());
});

Deno.test("Functions names what was asked and does not exist, branch by branch", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  for (const version of ["1.2", "1.3"] as const) {
    const alice = h.client("alice", version);
    await alice.login("secret");
    const reply = await alice.send(
      `<Service-Request><Functions><WVCSPFeat><FundamentalFeat><ServiceFunc><GETSPI/><GETMAP/>` +
        `</ServiceFunc><SearchFunc/><VerifyIDFunc/></FundamentalFeat><IMFeat><IMReceiveFunc/>` +
        `</IMFeat></WVCSPFeat></Functions><AllFunctionsRequest>F</AllFunctionsRequest>` +
        `</Service-Request>`,
    );
    const denied = reply.body.Functions;
    if (version === "1.2") {
      // GETMAP, ADVSR and OFFNOTIF are 1.3 leaves; no VerifyIDFunc leaf exists here: all of it.
      assert.deepEqual(denied, { WVCSPFeat: { FundamentalFeat: { VerifyIDFunc: {} } } });
    } else {
      assert.deepEqual(denied, {
        WVCSPFeat: {
          FundamentalFeat: {
            ServiceFunc: { GETMAP: {} },
            SearchFunc: { ADVSR: {} },
            VerifyIDFunc: {},
          },
          IMFeat: { IMReceiveFunc: { OFFNOTIF: {} } },
        },
      });
    }
    assert.equal(reply.body.AllFunctions, undefined, "not asked for");
  }
});

Deno.test("a feature asked in part is agreed whole: Nokia's request, then SendMessage is no 506", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  await h.addUser("bob", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");

  // Nokia's S60 engine asks IMFeat as IMReceiveFunc{NEWM} and IMAuthFunc only.
  const reply = await alice.send(
    `<Service-Request><Functions><WVCSPFeat><IMFeat><IMReceiveFunc><NEWM/></IMReceiveFunc>` +
      `<IMAuthFunc/></IMFeat></WVCSPFeat></Functions>` +
      `<AllFunctionsRequest>F</AllFunctionsRequest></Service-Request>`,
  );
  assert.equal(reply.body.Functions, undefined);

  const sent = await alice.send(
    `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><ContentType>text/plain` +
      `</ContentType><Recipient><User><UserID>wv:bob@example.com</UserID></User></Recipient>` +
      `</MessageInfo><ContentData>hi</ContentData></SendMessage-Request>`,
  );
  assert.equal(sent.code, 200);
  const presence = await alice.send(
    `<GetPresence-Request><User><UserID>wv:bob@example.com</UserID></User></GetPresence-Request>`,
  );
  assert.equal(presence.code, 506, "PresenceFeat was not asked for");
});

Deno.test("a Service-Request without Functions (asking only for AllFunctions) changes no agreement", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  const reply = await alice.send(
    "<Service-Request><AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>",
  );
  assert.ok(reply.body.AllFunctions);
  const spInfo = "<GetSPInfo-Request><ClientID><URL>http://c</URL></ClientID></GetSPInfo-Request>";
  assert.equal((await alice.send(spInfo)).primitive.name, "GetSPInfo-Response");
});

Deno.test("1.3: the Functions of a Login are agreed alike, and its answer names only what is denied", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.3");

  const reply = await alice.login(
    "secret",
    `<Functions><WVCSPFeat><IMFeat/><GroupFeat><GroupUseFunc><EXCON/></GroupUseFunc></GroupFeat>` +
      `</WVCSPFeat></Functions>`,
  );

  assert.equal(reply.code, 200);
  assert.deepEqual(reply.body.Functions, {
    WVCSPFeat: {
      GroupFeat: { GroupUseFunc: { EXCON: {} } },
      IMFeat: { IMReceiveFunc: { OFFNOTIF: {} } },
    },
  });
  const search = await alice.send(
    "<Search-Request><SearchPairList><SearchElement>USER_ID</SearchElement>" +
      "<SearchString>bob</SearchString></SearchPairList><SearchLimit>5</SearchLimit></Search-Request>",
  );
  assert.equal(search.code, 506, "FundamentalFeat was not asked for");
});

Deno.test("a function of a feature left out of the agreement is refused with 506", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  await alice.login("secret");
  const spInfo = "<GetSPInfo-Request><ClientID><URL>http://c</URL></ClientID></GetSPInfo-Request>";
  assert.equal((await alice.send(spInfo)).primitive.name, "GetSPInfo-Response", "allowed before");

  await alice.send(
    `<Service-Request><Functions><WVCSPFeat><IMFeat/></WVCSPFeat></Functions>` +
      `<AllFunctionsRequest>F</AllFunctionsRequest></Service-Request>`,
  );

  const refused = await alice.send(spInfo);
  assert.equal(refused.primitive.name, "Status");
  assert.equal(refused.code, 506);
});

/** `Feature/Group/LEAF` paths of a Functions tree, sorted. */
function leaves(tree: Value): string[] {
  const out: string[] = [];
  const walk = (here: Value, path: string[]) => {
    const keys = Object.keys(node(here) ?? {}).filter((k) =>
      !k.startsWith("@") && !k.startsWith("#")
    );
    if (keys.length === 0 && path.length === 3) out.push(path.join("/"));
    for (const key of keys) walk(at(here, key), [...path, key]);
  };
  walk(at(tree, "WVCSPFeat") ?? {}, []);
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
  const list = element(reply.body, "VersionList");
  assert.deepEqual(list.SessionNSName, [
    "http://www.wireless-village.org/CSP1.1",
    "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
    "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
  ]);
});
