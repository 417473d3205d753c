/**
 * Federated against local message throughput, in one run: two domains on loopback (a.test and
 * b.test, in-memory KV), 20 senders on a.test each sending 50 messages, first to a local
 * recipient (done when every SendMessage is answered: local delivery commits before the answer),
 * then to a recipient on b.test (done when b.test holds every message in the recipient's mailbox).
 * Prints messages/s of both, their ratio and the deepest SSP pipelining seen.
 *
 *   npx -y deno@2.9.6 run -A scripts/bench_ssp.ts
 */
import { MailboxRepo } from "../src/services/im/mailbox.ts";
import { sendMessageXml } from "../test/im/im_support.ts";
import { startDomains } from "../test/ssp/ssp_support.ts";

const SENDERS = 20;
const PER_SENDER = 50;
const TOTAL = SENDERS * PER_SENDER;
const env = { IMPS_MAILBOX_SIZE: String(TOTAL * 2) };

const [a, b] = await startDomains(["a.test", "b.test"], env);
try {
  const senders = await a.login(...Array.from({ length: SENDERS }, (_, i) => `s${i}`));
  await a.login("local");
  await b.login("remote");

  const run = async (to: string) => {
    const start = performance.now();
    await Promise.all(senders.map(async (s) => {
      for (let i = 0; i < PER_SENDER; i++) {
        const reply = await s.send(sendMessageXml([to], `message ${i}`));
        if (reply.code !== 200) throw new Error(reply.text);
      }
    }));
    return start;
  };

  let start = await run("wv:local@a.test");
  const localMs = performance.now() - start;

  const bMailbox = new MailboxRepo(b.server.context.store);
  start = await run("wv:remote@b.test");
  while ((await bMailbox.pending("wv:remote@b.test")).length < TOTAL) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const remoteMs = performance.now() - start;
  const relay = a.server.federation!;
  const local = TOTAL / localMs * 1000;
  const remote = TOTAL / remoteMs * 1000;
  console.log(
    `local ${local.toFixed(0)} msg/s, federated ${remote.toFixed(0)} msg/s ` +
      `(${
        (remote / local * 100).toFixed(0)
      }% of local), pipelining depth ${relay.federation.maxDepth}`,
  );
} finally {
  await a.close();
  await b.close();
}
