/**
 * The example settings file (`deploy/imps.env.example`, for `deno task --env-file=… start`) lists
 * every setting of config.ts with its default, and Deno reads it as the server would; the
 * observability and limit settings are checked at start like the others.
 */
import assert from "node:assert/strict";
import { ConfigError, envExample, loadConfig, SETTINGS } from "../../src/config.ts";

const EXAMPLE = new URL("../../deploy/imps.env.example", import.meta.url);

Deno.test("deploy/imps.env.example is what --env-example prints: every setting, its default", async () => {
  const file = await Deno.readTextFile(EXAMPLE);
  assert.equal(
    file,
    envExample(),
    "regenerate: deno task start --env-example > deploy/imps.env.example",
  );
  const listed = [...file.matchAll(/^# (IMPS_[A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(listed, SETTINGS.map((s) => [s.env, s.default ?? ""]));
});

Deno.test("the example, uncommented, is read by Deno's --env-file into the defaults", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const uncommented = (await Deno.readTextFile(EXAMPLE)).replace(
      /^# (IMPS_[A-Z0-9_]+=.+)$/gm,
      "$1",
    );
    await Deno.writeTextFile(`${dir}/imps.env`, uncommented);
    await Deno.writeTextFile(
      `${dir}/read.ts`,
      `console.log(JSON.stringify(Deno.env.toObject()));`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--env-file=${dir}/imps.env`, "--allow-env", `${dir}/read.ts`],
      clearEnv: true,
    }).output();
    const env = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(loadConfig(env), loadConfig({}));
    assert.equal(env.IMPS_PORT, "8080");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log, admin and limit settings are checked at start", () => {
  const config = loadConfig({});
  assert.equal(config.logLevel, "info");
  assert.equal(config.logFormat, "text");
  assert.equal(config.adminToken, undefined);
  assert.equal(config.systemUser, "wv:system@localhost");
  const cases: [Record<string, string>, RegExp][] = [
    [{ IMPS_LOG_LEVEL: "loud" }, /IMPS_LOG_LEVEL must be debug, info, warn, error/],
    [{ IMPS_LOG_FORMAT: "xml" }, /IMPS_LOG_FORMAT/],
    [{ IMPS_ADMIN_TOKEN: "short" }, /IMPS_ADMIN_TOKEN must be at least 16/],
    [{ IMPS_SYSTEM_USER: "wv:ops@elsewhere.example" }, /IMPS_SYSTEM_USER must be a user id of/],
    [{ IMPS_LOGIN_FAILURES: "0" }, /IMPS_LOGIN_FAILURES/],
    [{ IMPS_RATE_MESSAGES: "fast" }, /IMPS_RATE_MESSAGES/],
  ];
  for (const [env, expected] of cases) {
    assert.throws(
      () => loadConfig(env),
      (e) => e instanceof ConfigError && expected.test(e.message),
    );
  }
});
