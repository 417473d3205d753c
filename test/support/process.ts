/** Runs the server and the admin command as operators do: separate processes, configured by env. */

const ROOT = new URL("../../", import.meta.url);
const PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--unstable-kv",
];

export interface ServerProcess {
  /** Base URL, e.g. `http://127.0.0.1:40123` (the CSP endpoint is `${url}/csp`). */
  url: string;
  /** What the server printed up to its banner (the start-up log). */
  banner: string;
  /** Stops the server: SIGTERM for a clean stop, SIGKILL to simulate a crash. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

/** Starts `src/main.ts` and waits for its banner; `IMPS_PORT` defaults to 0 (a free port). */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "src/main.ts"],
    env: { IMPS_PORT: "0", NO_COLOR: "1", ...env },
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let banner = "";
  while (!/:\d+\/csp/.test(banner)) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`server exited before listening: ${banner}`);
    }
    banner += value;
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    url: banner.match(/(https?:\/\/\S+?)\/csp/)![1],
    banner,
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      await child.status;
      await drained;
    },
  };
}

/** Runs `src/admin.ts` with arguments; throws with its output when it fails. */
export async function runAdminProcess(
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "src/admin.ts", ...args],
    env: { NO_COLOR: "1", ...env },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`admin ${args.join(" ")} failed: ${text}`);
  return text;
}

/** Runs `src/main.ts` expecting it to stop at once; returns its exit code and stderr. */
export async function runServerExpectingExit(
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "src/main.ts"],
    env: { NO_COLOR: "1", ...env },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}
