/** What ships beside the code: the licence, and a service unit and a container image that start
 * the server with the README's start command. */
import assert from "node:assert/strict";
import { readBlocks } from "./doctest.ts";

const ROOT = new URL("../../", import.meta.url);
const START = "npx -y deno@2.9.6 task start";

const haveSystemd = await new Deno.Command("systemd-analyze", {
  args: ["--version"],
  stdout: "null",
})
  .output().then((o) => o.success, () => false);
if (!haveSystemd) console.log("note: systemd-analyze not found; the unit file is not verified");

Deno.test("the README's quick start, the systemd unit and the Dockerfile run one command", async () => {
  const { blocks } = readBlocks(await Deno.readTextFile(new URL("README.md", ROOT)));
  const quickStart = blocks.find((b) => b.kind === "server")!;
  assert.equal(quickStart.body.replace(/#.*/, "").trim(), START);

  const unit = await Deno.readTextFile(new URL("deploy/imps.service", ROOT));
  assert.deepEqual(unit.match(/^ExecStart=(.*)$/m)?.[1], `/usr/bin/${START}`);

  const dockerfile = await Deno.readTextFile(new URL("deploy/Dockerfile", ROOT));
  const cmd = JSON.parse(dockerfile.match(/^CMD (.*)$/m)![1]);
  assert.deepEqual(cmd.join(" "), START);
  // The image's shell must be bash for kill to reach the server (.npmrc): Debian images have it.
  assert.match(dockerfile, /^FROM node:\d+-(bookworm|bullseye|trixie)(-slim)?$/m);
});

Deno.test("the checkout carries its licence: MIT", async () => {
  const license = await Deno.readTextFile(new URL("LICENSE", ROOT));
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} /);
  assert.match(license, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
});

Deno.test({
  name: "systemd accepts the unit file",
  ignore: !haveSystemd,
  async fn() {
    const out = await new Deno.Command("systemd-analyze", {
      args: ["verify", new URL("deploy/imps.service", ROOT).pathname],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, text);
    // Complaints about the machine (no user imps, no /opt/imps) are not about the file.
    const aboutFile = text.split("\n").filter((l) => /imps\.service:\d+/.test(l));
    assert.deepEqual(aboutFile, []);
  },
});
