/**
 * The admin command at a terminal: it asks for the password twice and echoes nothing typed.
 * The terminal is a pseudo-terminal made by util-linux `script`.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

const haveScript = await new Deno.Command("script", { args: ["--version"], stdout: "null" })
  .output().then((o) => o.success, () => false);
if (!haveScript) {
  console.log("note: util-linux script not found; the password prompt test is skipped");
}

Deno.test({
  name: "at a terminal the admin command asks twice and echoes no character of the password",
  ignore: !haveScript,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const command = `${Deno.execPath()} run -A src/admin.ts user add dave`;
      const child = new Deno.Command("script", {
        args: ["-qefc", command, "/dev/null"],
        cwd: ROOT,
        env: { IMPS_DATA: `${dir}/imps.kv`, NO_COLOR: "1" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      const waitFor = async (text: string) => {
        while (!seen.includes(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`ended before "${text}": ${seen}`);
          seen += value;
        }
      };
      const writer = child.stdin.getWriter();
      const type = (text: string) => writer.write(new TextEncoder().encode(text));

      // Typed only once asked: what a terminal receives before the prompt it echoes itself.
      await waitFor("Password for wv:dave@localhost: ");
      await type("s3cret-typed\r");
      await waitFor("Repeat it: ");
      await type("s3cret-typed\r");
      await waitFor("added wv:dave@localhost");
      await writer.close();
      while (!(await reader.read()).done);
      await child.status;
      await child.stderr.cancel();

      assert.doesNotMatch(seen, /s3cret|\*/, "nothing of the password shows");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
