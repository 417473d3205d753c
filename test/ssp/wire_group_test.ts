/**
 * Group transactions from a peer written by hand on raw TCP, in Baraza's shape (ssp-16: newline
 * padding, ScreenName with groupID): walt@w.test joins sam's group on s.test and gets its
 * messages; what a peer may not do (speak for another domain's user, ask about a third
 * domain's group, push a group's traffic to users who never joined it) is refused or dropped.
 */
import assert from "node:assert/strict";
import { obj, str } from "../../src/session/values.ts";
import { createGroup, sendToGroup } from "../group/support.ts";
import { freePort, pollFor, startNode } from "./ssp_support.ts";
import { handshake, type PeerSession, received, sendInSession } from "./wire_support.ts";

const GROUP = "wv:sam/room@s.test";

const joinRequest = (user: string, groupId = GROUP) =>
  `<JoinGroupRequest groupID="${groupId}" joinedListRequest="Yes" subscribeNotif="Yes">\n` +
  `<MetaInfo clientOriginated="Yes">\n<Requestor serviceID="wv:@w.test">\n<User userID="${user}">\n` +
  `<ClientID url="http://client.example/walt"/>\n</User>\n</Requestor></MetaInfo>\n\n` +
  `<ScreenName groupID="${groupId}">Walt</ScreenName>\n</JoinGroupRequest>\n`;

/** The server's answer to our request `tid`. */
async function answerTo(peer: PeerSession, tid: string): Promise<string> {
  const answer = await received(peer.in);
  assert.match(answer.body, new RegExp(`mode="Response" transactionID="${tid}"`));
  return answer.body;
}

Deno.test("wire: a peer's user joins a group of ours, Baraza-style, and gets its messages", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: await freePort() });
  const serverPort = await freePort();
  const s = await startNode("s.test", serverPort, {
    peers: { "w.test": (listener.addr as Deno.NetAddr).port },
  });
  const peer = await handshake(serverPort, listener);
  try {
    const [sam, bob] = await s.login("sam", "bob");
    const created = await createGroup(sam, GROUP, {
      join: true,
      screenName: "Sam",
      subscribe: true,
    });
    assert.equal(created.code, 200, created.text);

    await sendInSession(peer, "Request", "j1", joinRequest("walt@w.test"));
    const joined = await answerTo(peer, "j1");
    assert.match(joined, /<JoinGroupResponse><Status code="200"\/><JoinedList>/);
    assert.match(joined, /<Name>Sam<\/Name>/);
    assert.match(joined, /<Name>Walt<\/Name>/);
    const notice = await pollFor(sam, "GroupChangeNotice");
    const mapping = obj(
      obj(obj(obj(notice.primitive.body.Joined)?.UserMapList)?.UserMapping)?.Mapping,
    );
    assert.deepEqual([str(mapping?.SName), str(mapping?.UserID)], ["Walt", "wv:walt@w.test"]);

    // sam's message reaches the peer for walt, under sam's screen name, never his UserID.
    assert.equal((await sendToGroup(sam, GROUP, "Hi Walt")).code, 200);
    const copy = await received(peer.in);
    assert.match(copy.body, /<SendMessageRequest deliveryReport="No">/);
    // In a shape Baraza's parser serves: a requesting user (the group stands in), and no group
    // among the recipients, which Baraza would send back to the group's server.
    assert.match(
      copy.body,
      /<MetaInfo clientOriginated="Yes"><Requestor serviceID="wv:@s.test"><User userID="wv:sam\/room@s.test"\/>/,
    );
    assert.match(copy.body, /<Recipient><User userID="wv:walt@w.test"\/><\/Recipient>/);
    assert.match(copy.body, /<Sender><GroupID groupID="wv:sam\/room@s.test"\/>/);
    assert.match(
      copy.body,
      /<SenderDisplay><ScreenName groupID="wv:sam\/room@s.test">Sam<\/ScreenName>/,
    );
    assert.doesNotMatch(copy.body, /wv:sam@s\.test/);
    await sendInSession(
      peer,
      "Response",
      copy.scan.transactionId!,
      `<SendMessageResponse messageID="m"><Status code="200"/></SendMessageResponse>`,
    );

    // A peer speaks only for its own users and only about our groups.
    await sendInSession(peer, "Request", "j2", joinRequest("wv:mallory@x.test"));
    assert.match(await answerTo(peer, "j2"), /<Status code="402">/);
    await sendInSession(peer, "Request", "j3", joinRequest("walt@w.test", "wv:zed/g@x.test"));
    assert.match(await answerTo(peer, "j3"), /<Status code="516">/);
    await sendInSession(peer, "Request", "j4", joinRequest("walt@w.test", "wv:sam/none@s.test"));
    assert.match(await answerTo(peer, "j4"), /<Status code="800">/);

    // A peer's group cannot push into bob's sessions: he never joined it through us.
    await sendInSession(
      peer,
      "Request",
      "n1",
      `<GroupChangeNotice groupID="wv:walt/den@w.test"><MetaInfo clientOriginated="No">` +
        `<Requestor serviceID="wv:@w.test"/></MetaInfo><User userID="bob@s.test"/>` +
        `<Joined><Name>Spam</Name></Joined></GroupChangeNotice>`,
    );
    await sendInSession(
      peer,
      "Request",
      "m1",
      `<SendMessageRequest deliveryReport="No"><MetaInfo clientOriginated="No">` +
        `<Requestor serviceID="wv:@w.test"/></MetaInfo><MessageInfo messageID="x1" ` +
        `contentType="text/plain"><Recipient><User userID="wv:bob@s.test"/>` +
        `<GroupID groupID="wv:walt/den@w.test"/></Recipient><Sender><GroupID ` +
        `groupID="wv:walt/den@w.test"/><SenderDisplay><ScreenName groupID="wv:walt/den@w.test">` +
        `Walt</ScreenName></SenderDisplay></Sender></MessageInfo><ContentData ` +
        `contentType="text/plain" encoding="base64">${btoa("buy now")}</ContentData>` +
        `</SendMessageRequest>`,
    );
    assert.match(await answerTo(peer, "m1"), /<Status code="808">/);
    assert.equal((await bob.send("<KeepAlive-Request/>")).poll, false);
  } finally {
    peer.out.conn.close();
    peer.in.conn.close();
    listener.close();
    await s.close();
  }
});
