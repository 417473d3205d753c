/**
 * The server started with the README's command (`npx -y deno@2.9.6 task start`) stops when that
 * command is stopped: `kill` of the npx process reaches the server, which logs its stop.
 */
import assert from "node:assert/strict";
import { serverStarted } from "../support/process.ts";

const ROOT = new URL("../../", import.meta.url);

const haveNpx = await new Deno.Command("npx", { args: ["--version"], stdout: "null" })
  .output().then((o) => o.success, () => false);
if (!haveNpx) console.log("note: npx not found; the test of the start command is skipped");

/** Kills whatever process still carries `marker` in its environment (a server left running). */
async function killLeftovers(marker: string): Promise<number[]> {
  const killed = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const environ = await Deno.readTextFile(`/proc/${entry.name}/environ`).catch(() => "");
    if (environ.includes(marker)) {
      Deno.kill(Number(entry.name), "SIGKILL");
      killed.push(Number(entry.name));
    }
  }
  return killed;
}

Deno.test({
  name: "kill of the npx process that started the server stops the server, which says so",
  ignore: !haveNpx,
  async fn() {
    const marker = `IMPS_LAUNCH_TEST=${crypto.randomUUID()}`;
    const child = new Deno.Command("npx", {
      args: ["-y", "deno@2.9.6", "task", "start"],
      cwd: ROOT,
      env: {
        IMPS_DATA: ":memory:",
        IMPS_PORT: "0",
        IMPS_CORE: "ts",
        NO_COLOR: "1",
        IMPS_LAUNCH_TEST: marker.split("=")[1],
      },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const server = await serverStarted(child);
    try {
      assert.equal(await fetch(`${server.url}/healthz`).then((r) => r.text()), "ok");
      await server.stop("SIGTERM");

      const refused = await fetch(`${server.url}/healthz`).then(() => false, () => true);
      assert.ok(refused, "the server no longer answers");
      assert.match(
        server.output(),
        /stopping \(SIGTERM\): finishing requests in progress\n\S+ info stopped/,
      );
    } finally {
      assert.deepEqual(await killLeftovers(marker), [], "no process of the command is left");
    }
  },
});

Deno.test({
  name: "a password given on stdin, as the README shows, is echoed nowhere",
  ignore: !haveNpx,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const child = new Deno.Command("npx", {
        args: ["-y", "deno@2.9.6", "task", "admin", "user", "add", "carol"],
        cwd: ROOT,
        env: { IMPS_DATA: `${dir}/imps.kv`, NO_COLOR: "1" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("s3cret-pass\n"));
      await writer.close();
      const out = await child.output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.ok(out.success, text);
      assert.match(text, /Task admin .*'user' 'add' 'carol'/, "deno task echoes the command");
      assert.match(text, /added wv:carol@localhost/);
      assert.doesNotMatch(text, /s3cret-pass/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
