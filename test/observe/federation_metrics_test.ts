/**
 * Federation in the metrics: after alice@a.test's message reached bob@b.test, a.test counts the
 * peer up (by state, and by name for an IMPS_PEERS peer), nothing left in its relay queue and no
 * retry; a peer that cannot be reached is counted down, with its work queued and retried.
 */
import assert from "node:assert/strict";
import { sendOk } from "../im/im_support.ts";
import { freePort, pollFor, startDomains, startNode } from "../ssp/ssp_support.ts";

const TOKEN = "federation-token-012345";

async function scrape(
  app: { request(path: string, init: RequestInit): Response | Promise<Response> },
) {
  const response = await app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  return await response.text();
}

Deno.test("a.test's metrics show b.test up after a message, and a dead peer down with retries", async () => {
  const [a, b] = await startDomains(["a.test", "b.test"], { IMPS_ADMIN_TOKEN: TOKEN });
  try {
    const [alice] = await a.login("alice");
    const [bob] = await b.login("bob");
    await sendOk(alice, ["wv:bob@b.test"], "counted");
    await pollFor(bob, "NewMessage");
    // The job is settled by a commit of its own, which may come just after bob has the message.
    let text = await scrape(a.server.app);
    for (let i = 0; i < 50 && !/^imps_relay_queue_jobs 0$/m.test(text); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape(a.server.app);
    }
    assert.match(text, /^imps_ssp_peers\{state="up"\} 1$/m);
    assert.match(text, /^imps_ssp_peer_up\{peer="b\.test"\} 1$/m);
    assert.match(text, /^imps_relay_queue_jobs 0$/m);
  } finally {
    await a.close();
    await b.close();
  }

  const nowhere = await freePort();
  const lonely = await startNode("c.test", await freePort(), {
    peers: { "gone.test": nowhere },
    env: { IMPS_ADMIN_TOKEN: TOKEN },
  });
  try {
    const [carol] = await lonely.login("carol");
    await sendOk(carol, ["wv:dave@gone.test"], "into the void");
    let text = "";
    for (let i = 0; i < 50 && !/^imps_relay_retries_total [1-9]/m.test(text); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = await scrape(lonely.server.app);
    }
    assert.match(text, /^imps_relay_retries_total [1-9]\d*$/m);
    assert.match(text, /^imps_ssp_peers\{state="down"\} 1$/m);
    assert.match(text, /^imps_ssp_peer_up\{peer="gone\.test"\} 0$/m);
    assert.match(text, /^imps_relay_queue_jobs 1$/m);
  } finally {
    await lonely.close();
  }
});
