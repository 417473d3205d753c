/**
 * A real Kannel for tests: bearerbox and smsbox (Debian `kannel`) with a fake SMSC, `fakesmsc`
 * (`kannel-extras`), standing in for the phone network. What the server submits through smsbox's
 * `sendsms` interface reaches fakesmsc as it would reach an SMSC, and is read back from its
 * output: sender, receiver, user data header and data, byte for byte. Everything listens on the
 * loopback, on ports the system picks. Where Kannel is not installed, `startKannel` says so
 * visibly and returns undefined, and the suites that need it skip.
 */

const BEARERBOX = ["/usr/sbin/bearerbox", "/usr/bin/bearerbox"];
const SMSBOX = ["/usr/sbin/smsbox", "/usr/bin/smsbox"];
const FAKESMSC = ["/usr/lib/kannel/test/fakesmsc", "/usr/bin/fakesmsc"];
/** The sender of SMS whose submitter names none. */
export const GLOBAL_SENDER = "1234";

/** One SMS as it reached the fake SMSC. */
export interface ReceivedSms {
  from: string;
  to: string;
  /** The user data header, when there is one. */
  udh?: Uint8Array;
  /** The message: text as sent, or the 8-bit data. */
  data: Uint8Array;
  /** `text` for a plain SMS; `udh` or `data` for binary ones. */
  kind: string;
}

export interface Kannel extends AsyncDisposable {
  /** The sendsms URL the server is configured with (IMPS_SMS_URL). */
  sendsmsUrl: string;
  username: string;
  password: string;
  /** Every SMS that reached the fake SMSC so far. */
  received: ReceivedSms[];
  /** Resolves with the first SMS (from now on, or already received) that `wanted` accepts. */
  waitFor(wanted: (sms: ReceivedSms) => boolean, timeoutMs?: number): Promise<ReceivedSms>;
  close(): Promise<void>;
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    if (await Deno.stat(path).then((s) => s.isFile, () => false)) return path;
  }
  return undefined;
}

/** Whether Kannel and its fake SMSC are installed; says so when not. */
export async function haveKannel(skipped: string): Promise<boolean> {
  const found = await firstExisting(BEARERBOX) && await firstExisting(SMSBOX) &&
    await firstExisting(FAKESMSC);
  if (!found) {
    console.log(
      `note: Kannel (Debian kannel, kannel-extras) not installed; ${skipped} skipped`,
    );
  }
  return Boolean(found);
}

/** Ports free now on the loopback, picked by the system. */
function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return ports;
}

/** Starts bearerbox, the fake SMSC and smsbox; undefined where Kannel is not installed. */
export async function startKannel(): Promise<Kannel | undefined> {
  const bearerbox = await firstExisting(BEARERBOX);
  const smsbox = await firstExisting(SMSBOX);
  const fakesmsc = await firstExisting(FAKESMSC);
  if (!bearerbox || !smsbox || !fakesmsc) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "imps-kannel-" });
  const [admin, boxes, smsc, sendsms] = freePorts(4);
  const username = "imps";
  const password = "secret-sms";
  // Every listener on the loopback: `our-host` binds the fake SMSC's port.
  await Deno.writeTextFile(
    `${dir}/kannel.conf`,
    `group = core
admin-port = ${admin}
admin-interface = 127.0.0.1
admin-password = ${crypto.randomUUID()}
smsbox-port = ${boxes}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = ${dir}/bearerbox.log
log-level = 0

group = smsc
smsc = fake
smsc-id = fake
port = ${smsc}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${boxes}
sendsms-port = ${sendsms}
sendsms-interface = 127.0.0.1
global-sender = ${GLOBAL_SENDER}
log-file = ${dir}/smsbox.log
log-level = 0

group = sendsms-user
username = ${username}
password = ${password}
concatenation = false
max-messages = 1
`,
  );
  const children: Deno.ChildProcess[] = [];
  /** Output piped for the fake SMSC, whose log is read; the boxes log to their files. */
  const spawn = (cmd: string, args: string[], piped = false) => {
    const output = piped ? "piped" : "null";
    const child = new Deno.Command(cmd, {
      args,
      stdin: piped ? "piped" : "null",
      stdout: output,
      stderr: output,
    }).spawn();
    children.push(child);
    return child;
  };
  const received: ReceivedSms[] = [];
  const waiters: { wanted: (sms: ReceivedSms) => boolean; resolve: (sms: ReceivedSms) => void }[] =
    [];
  const close = async () => {
    for (const child of children.reverse()) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    spawn(bearerbox, [`${dir}/kannel.conf`]);
    await waitForPort(smsc);
    // fakesmsc reads messages to inject from its stdin: kept open (and empty) while it runs.
    const fake = spawn(fakesmsc, ["-H", "127.0.0.1", "-r", String(smsc)], true);
    const onLine = (line: string) => {
      const sms = parseFakeSmscLine(line);
      if (!sms) return;
      received.push(sms);
      for (const waiter of [...waiters]) {
        if (waiter.wanted(sms)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(sms);
        }
      }
    };
    // Its log goes to stderr; read both streams all the same.
    readLines(fake.stdout, onLine);
    readLines(fake.stderr, onLine);
    spawn(smsbox, [`${dir}/kannel.conf`]);
    await waitForPort(sendsms);
  } catch (error) {
    const logs = await Promise.all(
      ["bearerbox.log", "smsbox.log"].map((f) => Deno.readTextFile(`${dir}/${f}`).catch(() => "")),
    );
    await close();
    throw new Error(`${(error as Error).message}\n${logs.join("\n").slice(-2000)}`);
  }
  return {
    sendsmsUrl: `http://127.0.0.1:${sendsms}/cgi-bin/sendsms`,
    username,
    password,
    received,
    waitFor(wanted, timeoutMs = 10_000) {
      const already = received.find(wanted);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = {
          wanted,
          resolve: (sms: ReceivedSms) => {
            clearTimeout(timer);
            resolve(sms);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no such SMS within ${timeoutMs} ms; received: ${received.length}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`Kannel did not listen on ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): void {
  (async () => {
    let rest = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + text).split("\n");
      rest = lines.pop()!;
      lines.forEach(onLine);
    }
  })().catch(() => {});
}

/**
 * fakesmsc logs what the SMSC side receives as `Got message N: <from to kind ...>`: `text` then
 * the text, `data` then the URL-encoded data, `udh` then the URL-encoded UDH and data.
 */
export function parseFakeSmscLine(line: string): ReceivedSms | undefined {
  const m = line.match(/Got message \d+: <(\S+) (\S+) (\S+) (.*)>\s*$/);
  if (!m) return undefined;
  const [, from, to, kind, rest] = m;
  if (kind === "text") return { from, to, kind, data: new TextEncoder().encode(rest) };
  if (kind === "udh") {
    const [udh, , data] = rest.split(" ");
    return { from, to, kind, udh: urlBytes(udh), data: urlBytes(data ?? "") };
  }
  return { from, to, kind, data: urlBytes(rest) };
}

/** URL-decoded bytes (`+` is a space), as Kannel encodes binary fields. */
function urlBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "%") {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(text[i] === "+" ? 0x20 : text.charCodeAt(i));
  }
  return Uint8Array.from(out);
}
