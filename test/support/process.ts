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
  /** The process started (the server, or the command that started it). */
  pid: number;
  /** What the server printed up to its banner (the start-up log), stdout and stderr together. */
  banner: string;
  /** What the server printed so far. */
  output(): string;
  /** Stops the server: SIGTERM for a clean stop, SIGKILL to simulate a crash. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Whether the process is still running. */
  running(): boolean;
}

export interface SpawnOptions {
  /** Runs the server under `ulimit -n` of this many open files. */
  fileLimit?: number;
}

/** Starts `src/main.ts` and waits for its banner; `IMPS_PORT` defaults to 0 (a free port). */
export async function spawnServer(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<ServerProcess> {
  const deno = [Deno.execPath(), "run", ...PERMISSIONS, "src/main.ts"];
  const [command, ...args] = options.fileLimit === undefined
    ? deno
    : ["sh", "-c", `ulimit -n ${options.fileLimit} && exec "$@"`, "sh", ...deno];
  const child = new Deno.Command(command, {
    args,
    env: { IMPS_PORT: "0", NO_COLOR: "1", ...env },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return await serverStarted(child);
}

/** Where a server's banner names its CSP endpoint: the base URL is the first group. */
const BANNER = /(https?:\/\/\S+?)\/csp\b/;

/**
 * Waits for the banner of a server started as `child` (the server itself or a command that
 * starts it): `banner`'s first group is the base URL. Its output is read all along, so it never
 * blocks on a full pipe.
 */
export async function serverStarted(
  child: Deno.ChildProcess,
  banner = BANNER,
): Promise<ServerProcess> {
  let output = "";
  let listening: (url: string) => void;
  let ended: (error: Error) => void;
  const started = new Promise<string>((resolve, reject) => {
    listening = resolve;
    ended = reject;
  });
  const read = (stream: ReadableStream<Uint8Array>) =>
    (async () => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        output += text;
        const url = output.match(banner)?.[1];
        if (url) listening(url);
      }
    })();
  const drained = Promise.all([read(child.stdout), read(child.stderr)]);
  drained.then(() => ended(new Error(`server exited before listening: ${output}`)));
  let url: string;
  try {
    url = await started;
  } catch (error) {
    await child.status;
    throw error;
  }
  const printed = output;
  let exited = false;
  child.status.then(() => exited = true);
  return {
    url,
    pid: child.pid,
    banner: printed,
    output: () => output,
    running: () => !exited,
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      await child.status;
      // The output ends when every process holding it has ended: a server the signal did not
      // reach keeps it open, and the caller finds it still answering.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([drained, new Promise((resolve) => timer = setTimeout(resolve, 5000))]);
      clearTimeout(timer);
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

/** Runs `src/main.ts` expecting it to stop at once; returns its exit code and output. */
export async function runServerExpectingExit(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; stderr: string; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, "src/main.ts", ...args],
    env: { NO_COLOR: "1", ...env },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    // A server that starts after all would otherwise keep the test waiting for ever.
    signal: AbortSignal.timeout(30_000),
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    stdout: new TextDecoder().decode(out.stdout),
  };
}
