/**
 * The group conversation captured from Baraza's clients (fixtures 040-056) replayed against
 * this server, with its own session and message ids put in. Answers match Baraza's primitive
 * and code, except where Baraza has a bug (its README): a Sender/Group/ScreenName is accepted
 * (052, Baraza always 810). Skipped, with a note, when the shared fixtures are absent.
 */
import assert from "node:assert/strict";
import {
  capturedAnswer,
  capturedMessageId,
  capturedSession,
  haveBarazaFixtures,
  readFixture,
} from "../support/baraza.ts";
import { type CspClient, startServer } from "../support/harness.ts";
import { ackStatus, pollOne } from "../im/im_support.ts";
import { at, element } from "../support/body_reader.ts";

const haveFixtures = await haveBarazaFixtures("group interop");

Deno.test({
  name: "Baraza's captured group conversation gets Baraza's answers",
  ignore: !haveFixtures,
  async fn() {
    await using h = await startServer({ env: { IMPS_DOMAIN: "a.test" } });
    const clients = new Map<string, CspClient>();
    for (const name of ["alice", "bob"]) {
      await h.addUser(name, "secret");
      const client = h.client(name, "1.2");
      await client.login("secret");
      clients.set(name, client);
    }
    let messageId = "";
    const exchange = async (fixture: string, user: string) => {
      let request = await readFixture(`${fixture}.request.xml`);
      const client = clients.get(user)!;
      request = request.replace(capturedSession(request), client.sessionId!);
      const captured = capturedMessageId(request);
      if (captured) request = request.replaceAll(captured, messageId);
      const reply = await client.post(request);
      return { reply, expected: capturedAnswer(await readFixture(`${fixture}.response.xml`)) };
    };
    const same = async (fixture: string, user: string) => {
      const { reply, expected } = await exchange(fixture, user);
      assert.equal(reply.primitive.name, expected.primitive, `${fixture}: ${reply.text}`);
      if (expected.code !== undefined) assert.equal(reply.code, expected.code, fixture);
      return reply;
    };

    await same("040-creategroup", "alice");
    await same("041-subscribegroupnotice-set", "alice");
    const subscribed = await same("042-subscribegroupnotice-get", "alice");
    assert.equal(subscribed.body.Value, "T");
    const joined = await same("043-joingroup", "bob");
    assert.ok(joined.body.UserMapList, "1.2 sends the list bare (Baraza wraps it, a bug)");
    const notice = await same("044-poll-groupchangenotice-joined", "alice");
    assert.equal(notice.body.GroupID, "wv:alice/chat@a.test");
    await same("045-getgroupmembers", "alice");
    await same("046-getjoinedusers", "alice");
    const props = await same("047-getgroupprops", "alice");
    assert.equal(
      at(props.body, "GroupProperties", "WelcomeNote", "ContentData"),
      "Welcome!",
      "the WelcomeNote as written (Baraza sends garbage)",
    );
    await same("048-setgroupprops", "alice");
    // Unlike Baraza, the Topic change reaches bob, subscribed since 043.
    const topic = await pollOne(clients.get("bob")!, "GroupChangeNotice");
    await ackStatus(clients.get("bob")!, topic);

    const sent = await same("049-sendmessage-group", "alice");
    messageId = String(sent.body.MessageID);
    const pushed = await same("050-poll-newmessage-group", "bob");
    const info = element(pushed.body, "MessageInfo");
    assert.deepEqual(info.Sender, {
      Group: { ScreenName: { SName: "Alice", GroupID: "wv:alice/chat@a.test" } },
    });
    await same("051-messagedelivered-group", "bob");
    const spec = await exchange("052-sendmessage-group-screenname-sender", "alice");
    assert.equal(spec.expected.code, 810);
    assert.equal(spec.reply.code, 200, "the spec's ScreenName sender is fine here");

    await same("053-leavegroup", "bob");
    const left = await same("054-poll-groupchangenotice-left", "alice");
    assert.ok(left.body.Left);
    await same("055-deletegroup", "alice");
    await same("056-poll-leavegroup-deleted", "alice");
  },
});
