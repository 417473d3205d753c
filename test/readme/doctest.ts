/**
 * README examples as tests, the way Rust runs doc tests. The convention (also stated in the
 * README's contributor notes):
 *
 * - A fenced ```` ```sh ```` block is run. All of them run in order in one POSIX shell (dash), as
 *   if pasted one after another into one terminal: variables and functions carry over. The shell
 *   stops at the first command that fails (`set -e`).
 * - A comment `# => TEXT` checks that the block's output (stdout and stderr) contains TEXT after
 *   what the previous check matched; `...` in TEXT stands for any text within a line.
 * - ```` ```sh server ```` starts a command that keeps running (a server), as in a terminal of its
 *   own: it is started in the background and the next block runs once it printed its banner
 *   (`… on http://…/csp`). It must be one command. It is stopped with SIGTERM to the command
 *   started when its `##` section ends, and the section fails unless the server then stops.
 * - ```` ```sh ignore ```` is shown, not run (say in the text why).
 * - Anything that is not a command sequence is fenced with what it is: text, ini, xml, yaml,
 *   json, dockerfile, ts. Other info strings are refused, so that nothing meant to run is skipped
 *   by accident.
 * - Deno is always called as `npx -y deno@2.9.6 …`, in blocks and in inline code, since a machine
 *   with only Node.js has no `deno`.
 *
 * The blocks run in a copy of the checkout (without data/), with no IMPS_* variables set; where
 * the machine allows (unshare, ip) in a network namespace of their own, so the fixed ports of the
 * examples never meet another program's.
 */

/** Info strings of blocks that are shown only. */
const SHOWN = new Set(["text", "ini", "xml", "yaml", "json", "dockerfile", "ts"]);
/** Words that may follow `sh`. */
const SH_KINDS = new Set(["server", "ignore"]);
/** How the README calls deno; any other `deno <command>` is refused. */
export const DENO = "npx -y deno@2.9.6";
const BARE_DENO = /(^|[^@\w/.-])deno (task|run|test|fmt|lint|check|eval|bench|install|cache)\b/;
/** Shell features dash lacks or runs differently from bash, so a block pasted into either works. */
const BASHISMS: [RegExp, string][] = [
  [/\$RANDOM\b/, "$RANDOM"],
  [/\[\[/, "[["],
  [/<<</, "here-strings (<<<)"],
  [/(^|\s)function\s+\w+/, "the function keyword"],
  [/(^|\s)source\s/, "source (use .)"],
  [/\$'/, "$'...' quoting"],
  [/\becho\s+-e\b/, "echo -e (use printf)"],
  [/\w+=\(/, "arrays"],
  [/\$\{\w+\/\//, "${var//pattern}"],
];

export interface Check {
  /** README line of the `# =>` comment. */
  line: number;
  text: string;
}

export interface Block {
  /** Index among all fenced blocks. */
  index: number;
  /** README line of the opening fence. */
  line: number;
  info: string;
  kind: "run" | "server" | "ignore" | "shown";
  body: string;
  /** The `## ` heading the block is under ("" before the first). */
  section: string;
  checks: Check[];
}

/** The fenced blocks of a Markdown text, and what is wrong with them by the convention. */
export function readBlocks(markdown: string): { blocks: Block[]; errors: string[] } {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  const errors: string[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const heading = lines[i].match(/^## (.*)/);
    if (heading) section = heading[1].trim();
    const fence = lines[i].match(/^(`{3,}|~{3,})\s*(.*)$/);
    if (!fence) {
      const bare = inlineCode(lines[i]).find((code) => BARE_DENO.test(code));
      if (bare !== undefined) {
        errors.push(`line ${i + 1}: \`${bare}\`: write deno as \`${DENO} …\``);
      }
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith(fence[1]); i++) body.push(lines[i]);
    const info = fence[2].trim();
    const [lang, ...words] = info.split(/\s+/);
    let kind: Block["kind"] = "shown";
    if (lang === "sh") {
      const unknown = words.filter((w) => !SH_KINDS.has(w));
      if (unknown.length > 0 || words.length > 1) {
        errors.push(`line ${start + 1}: \`\`\`${info}: after sh, write nothing, server or ignore`);
      }
      kind = words[0] === "server" ? "server" : words[0] === "ignore" ? "ignore" : "run";
    } else if (!SHOWN.has(lang)) {
      errors.push(
        `line ${start + 1}: \`\`\`${info}: fence commands as sh (run), sh server or sh ignore, ` +
          `anything else as one of ${[...SHOWN].join(", ")}`,
      );
    }
    const block: Block = {
      index: blocks.length,
      line: start + 1,
      info,
      kind,
      body: body.join("\n"),
      section,
      checks: [],
    };
    if (lang === "sh") {
      body.forEach((text, j) => {
        const at = start + 2 + j;
        const check = text.match(/#\s*=>\s?(.*)$/);
        if (check) block.checks.push({ line: at, text: check[1].trim() });
        const code = stripComment(text);
        if (BARE_DENO.test(code.replaceAll(DENO, ""))) {
          errors.push(`line ${at}: write deno as \`${DENO} …\``);
        }
        for (const [pattern, name] of BASHISMS) {
          if (pattern.test(code)) errors.push(`line ${at}: ${name} is not POSIX sh`);
        }
      });
      if (kind === "server" && block.checks.length > 0) {
        errors.push(`line ${start + 1}: a server block's output is not checked; drop its # =>`);
      }
      if (kind === "server" && serverCommand(block.body).includes("\n")) {
        errors.push(`line ${start + 1}: a server block holds one command`);
      }
    }
    blocks.push(block);
  }
  return { blocks, errors };
}

function inlineCode(line: string): string[] {
  return [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

/** The line without its comment (a `#` at the start of a word, outside quotes). */
function stripComment(line: string): string {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = "";
      else if (c === "\\" && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "\\") i++;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** A server block as one line: comments dropped, continuation lines joined. */
function serverCommand(body: string): string {
  return body.split("\n").map(stripComment).join("\n").replace(/\\\n/g, " ").trim();
}

const MARK = "@@doctest";

/** The shell script that runs the blocks, with markers in its output for each block. */
export function driverScript(blocks: Block[], logDir: string, stopWaitS = 15): string {
  const out = [
    "# Generated from the README by test/readme/doctest.ts.",
    // One stream, in the order a terminal would show it.
    "exec 2>&1",
    "__doc_servers=''",
    // Waits for a server block's banner; its base URL in __doc_url.
    "__doc_wait() {",
    "  __doc_i=0",
    "  while [ $__doc_i -lt 1200 ]; do",
    `    __doc_url=$(sed -n 's#.* on \\(https\\{0,1\\}://[^ ]*\\)/csp.*#\\1#p' "$2" | head -n 1)`,
    '    [ -n "$__doc_url" ] && return 0',
    `    kill -0 "$1" 2>/dev/null || { printf '\\n${MARK} server-exited %s@@\\n' "$3"; exit 97; }`,
    "    sleep 0.1; __doc_i=$((__doc_i + 1))",
    "  done",
    `  printf '\\n${MARK} server-silent %s@@\\n' "$3"; exit 97`,
    "}",
    // SIGTERM to the command started, then it must stop answering within stopWaitS.
    "__doc_stop() {",
    "  for __doc_s in $__doc_servers; do",
    "    __doc_pid=${__doc_s%%,*}; __doc_rest=${__doc_s#*,}",
    "    __doc_url=${__doc_rest%%,*}; __doc_block=${__doc_rest#*,}",
    '    kill -TERM "$__doc_pid" 2>/dev/null || true',
    "    __doc_i=0",
    '    while curl -sk -o /dev/null "$__doc_url/healthz"; do',
    "      __doc_i=$((__doc_i + 1))",
    `      [ $__doc_i -lt ${
      stopWaitS * 10
    } ] || { printf '\\n${MARK} server-running %s@@\\n' "$__doc_block"; exit 98; }`,
    "      sleep 0.1",
    "    done",
    '    wait "$__doc_pid" 2>/dev/null || true',
    "  done",
    "  __doc_servers=''",
    "}",
    "set -e",
  ];
  let section: string | undefined;
  for (const block of blocks) {
    if (block.kind !== "run" && block.kind !== "server") continue;
    if (section !== undefined && block.section !== section) out.push("__doc_stop");
    section = block.section;
    out.push(`printf '\\n${MARK} block ${block.index}@@\\n'`);
    if (block.kind === "run") {
      out.push(block.body);
      continue;
    }
    const log = `${logDir}/server-${block.index}.log`;
    out.push(
      `${serverCommand(block.body)} > '${log}' 2>&1 &`,
      `__doc_wait $! '${log}' ${block.index}`,
      `__doc_servers="$__doc_servers $!,$__doc_url,${block.index}"`,
    );
  }
  out.push("__doc_stop", `printf '\\n${MARK} end@@\\n'`);
  return out.join("\n") + "\n";
}

export interface Failure {
  /** README line the failure is about. */
  line: number;
  message: string;
}

/** Reads the driver's output: each block's output checked, and where the run stopped. */
export function judge(
  blocks: Block[],
  output: string,
  exitCode: number,
  serverLog: (index: number) => string,
): Failure[] {
  const failures: Failure[] = [];
  const parts = output.split(new RegExp(`\\n?${MARK} (.*?)@@\\n?`));
  const outputs = new Map<number, string>();
  let last: number | undefined;
  let ended = false;
  const problems: [string, number][] = [];
  for (let i = 1; i < parts.length; i += 2) {
    const [word, arg] = parts[i].split(" ");
    if (word === "block") {
      last = Number(arg);
      outputs.set(last, parts[i + 1]);
    } else if (word === "end") ended = true;
    else problems.push([word, Number(arg)]);
  }
  for (const [word, index] of problems) {
    const block = blocks[index];
    const what = {
      "server-exited": "the server block's command ended before it printed its banner",
      "server-silent": "the server block printed no banner (… on http://…/csp) within 2 minutes",
      "server-running": "the server still answered after SIGTERM to the command started",
    }[word] ?? word;
    failures.push({ line: block.line, message: `${what}; it printed:\n${serverLog(index)}` });
  }
  if (!ended && problems.length === 0) {
    const block = last === undefined ? undefined : blocks[last];
    failures.push({
      line: block?.line ?? 1,
      message: `a command failed (exit code ${exitCode}); the block printed:\n${
        block ? outputs.get(block.index) : output
      }`,
    });
  }
  for (const block of blocks) {
    const printed = outputs.get(block.index);
    if (printed === undefined || (!ended && block.index === last)) continue;
    let from = 0;
    for (const check of block.checks) {
      const found = matcher(check.text).exec(printed.slice(from));
      if (!found) {
        failures.push({
          line: check.line,
          message: `expected "${check.text}" in the output${
            from > 0 ? " after the previous check" : ""
          }; the block printed:\n${printed}`,
        });
        break;
      }
      from += found.index + found[0].length;
    }
  }
  return failures;
}

function matcher(text: string): RegExp {
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(text.split("...").map(literal).join("[^\\n]*?"));
}

export interface RunOptions {
  /** The checkout whose copy the blocks run in. */
  root: URL;
  /** Longest the whole run may take, ms. */
  timeoutMs?: number;
  /** How long a server may take to stop after SIGTERM, s. */
  stopWaitS?: number;
}

export interface RunResult {
  failures: Failure[];
  /** Whether the blocks ran in a network namespace of their own. */
  isolated: boolean;
  output: string;
}

/** Runs the blocks in a copy of the checkout and judges what they printed. */
export async function runBlocks(blocks: Block[], options: RunOptions): Promise<RunResult> {
  const work = await Deno.makeTempDir({ prefix: "imps-readme-" });
  try {
    const copy = `${work}/checkout`;
    await copyCheckout(options.root, copy);
    const logs = `${work}/logs`;
    await Deno.mkdir(logs);
    await Deno.writeTextFile(`${work}/driver.sh`, driverScript(blocks, logs, options.stopWaitS));
    const isolated = await canIsolate();
    const run = isolated
      ? ["unshare", "-rn", "sh", "-c", `ip link set lo up && exec sh '${work}/driver.sh'`]
      : ["sh", `${work}/driver.sh`];
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(Deno.env.toObject())) {
      if (!name.startsWith("IMPS_")) env[name] = value;
    }
    // npx looks for a newer deno only when it has none (no registry in the namespace).
    Object.assign(env, { NO_COLOR: "1", npm_config_prefer_offline: "true" });
    const child = new Deno.Command("setsid", {
      args: run,
      cwd: copy,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => killGroup(child.pid), options.timeoutMs ?? 240_000);
    const [status, stdout, stderr] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    clearTimeout(timer);
    // Whatever a failed run left behind (a server that did not stop) goes with its group.
    killGroup(child.pid);
    const serverLog = (index: number) =>
      Deno.readTextFileSync(`${logs}/server-${index}.log`).trim() || "(nothing)";
    const output = stdout + stderr;
    return { failures: judge(blocks, output, status.code, serverLog), isolated, output };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Whether unshare can give the run a loopback interface of its own. */
async function canIsolate(): Promise<boolean> {
  const probe = await new Deno.Command("unshare", {
    args: ["-rn", "sh", "-c", "ip link set lo up"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return probe?.success ?? false;
}

/** The checkout's files, without version control, data or build leftovers. */
async function copyCheckout(root: URL, target: string): Promise<void> {
  const skip = new Set([".git", "data", "backup", "node_modules"]);
  const copyDir = async (from: URL, to: string) => {
    await Deno.mkdir(to, { recursive: true });
    for await (const entry of Deno.readDir(from)) {
      if (skip.has(entry.name) || /\.kv(-wal|-shm|\.lock)?$/.test(entry.name)) continue;
      if (entry.isDirectory) await copyDir(new URL(`${entry.name}/`, from), `${to}/${entry.name}`);
      else if (entry.isFile) await Deno.copyFile(new URL(entry.name, from), `${to}/${entry.name}`);
    }
  };
  await copyDir(root, target);
}
