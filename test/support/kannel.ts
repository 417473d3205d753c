/**
 * A real Kannel for tests: bearerbox and smsbox (Debian `kannel`) with a fake SMSC, `fakesmsc`
 * (`kannel-extras`), standing in for the phone network. Phones' SMS are typed into fakesmsc
 * (its interactive mode reads them from stdin) and reach the server through smsbox's
 * `sms-service` callback; what the server submits through `sendsms` reaches fakesmsc and is read
 * back from its log: sender, receiver, user data header and data, byte for byte. Everything
 * listens on the loopback, on ports the system picks. Where Kannel is not installed,
 * `haveKannel` says so visibly and the suites that need it skip.
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
  /** The message: text as sent (UTF-8), or the 8-bit data, or UCS-2 (UTF-16BE) bytes. */
  data: Uint8Array;
  /** `text`, `udh` (8-bit with a header), `data` or `ucs-2`. */
  kind: string;
}

/** The message of a received SMS as text. */
export function receivedText(sms: ReceivedSms): string {
  return new TextDecoder(sms.kind === "ucs-2" ? "utf-16be" : "utf-8").decode(sms.data);
}

/** The ports a Kannel listens on, picked before it starts (the server needs the sendsms one). */
export interface KannelPorts {
  admin: number;
  boxes: number;
  smsc: number;
  sendsms: number;
}

export interface KannelOptions {
  ports?: KannelPorts;
  /** The server's callback for SMS from phones (POST /sms), escape codes and all. */
  smsService?: string;
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
  /**
   * A phone sends an SMS: `text` (typed, one line), `ucs2` (UTF-16BE bytes), `data` (8-bit), or
   * `udh` (8-bit with a user data header).
   */
  send(from: string, to: string, sms: MobileSms): Promise<void>;
  close(): Promise<void>;
}

export type MobileSms =
  | { kind: "text"; text: string }
  | { kind: "ucs2"; text: string }
  | { kind: "data"; data: Uint8Array }
  | { kind: "udh"; udh: Uint8Array; data: Uint8Array };

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
    console.log(`note: Kannel (Debian kannel, kannel-extras) not installed; ${skipped} skipped`);
  }
  return Boolean(found);
}

/** Ports free now on the loopback, picked by the system. */
export function kannelPorts(): KannelPorts {
  const listeners = Array.from(
    { length: 4 },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const [admin, boxes, smsc, sendsms] = listeners.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of listeners) l.close();
  return { admin, boxes, smsc, sendsms };
}

export const sendsmsUrl = (ports: KannelPorts) =>
  `http://127.0.0.1:${ports.sendsms}/cgi-bin/sendsms`;

/** Starts bearerbox, the fake SMSC and smsbox; undefined where Kannel is not installed. */
export async function startKannel(options: KannelOptions = {}): Promise<Kannel | undefined> {
  const bearerbox = await firstExisting(BEARERBOX);
  const smsbox = await firstExisting(SMSBOX);
  const fakesmsc = await firstExisting(FAKESMSC);
  if (!bearerbox || !smsbox || !fakesmsc) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "imps-kannel-" });
  const ports = options.ports ?? kannelPorts();
  const username = "imps";
  const password = "secret-sms";
  // The callback answers nothing itself (max-messages 0): answers go out through sendsms.
  const service = options.smsService
    ? `
group = sms-service
keyword = default
catch-all = true
post-url = "${options.smsService}"
max-messages = 0
omit-empty = true
`
    : "";
  await Deno.writeTextFile(
    `${dir}/kannel.conf`,
    `group = core
admin-port = ${ports.admin}
admin-interface = 127.0.0.1
admin-password = ${crypto.randomUUID()}
smsbox-port = ${ports.boxes}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = ${dir}/bearerbox.log
log-level = 0

group = smsc
smsc = fake
smsc-id = fake
port = ${ports.smsc}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${ports.boxes}
sendsms-port = ${ports.sendsms}
sendsms-interface = 127.0.0.1
global-sender = ${GLOBAL_SENDER}
log-file = ${dir}/smsbox.log
log-level = 0

group = sendsms-user
username = ${username}
password = ${password}
concatenation = false
max-messages = 1
${service}`,
  );
  const children: Deno.ChildProcess[] = [];
  const spawn = (cmd: string, args: string[], piped = false) => {
    const child = new Deno.Command(cmd, {
      args,
      stdin: piped ? "piped" : "null",
      stdout: piped ? "piped" : "null",
      stderr: piped ? "piped" : "null",
    }).spawn();
    children.push(child);
    return child;
  };
  const received: ReceivedSms[] = [];
  const waiters: { wanted: (sms: ReceivedSms) => boolean; resolve: (sms: ReceivedSms) => void }[] =
    [];
  let stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  let sent = 0;
  let acknowledged = 0;
  const sentWaiters: (() => void)[] = [];
  const close = async () => {
    await stdin?.close().catch(() => {});
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
    await waitForPort(ports.smsc);
    // Interactive mode: the messages to inject are read from stdin, one a line.
    // No pause between the messages typed in (the default is a second).
    const fake = spawn(fakesmsc, ["-H", "127.0.0.1", "-r", String(ports.smsc), "-i", "0.01"], true);
    stdin = fake.stdin.getWriter();
    const onLine = (line: string) => {
      if (/fakesmsc: sent message \d+/.test(line)) {
        acknowledged++;
        for (const waiter of sentWaiters.splice(0)) waiter();
      }
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
    readLines(fake.stdout, onLine);
    readLines(fake.stderr, onLine);
    spawn(smsbox, [`${dir}/kannel.conf`]);
    await waitForPort(ports.sendsms);
  } catch (error) {
    const logs = await Promise.all(
      ["bearerbox.log", "smsbox.log"].map((f) => Deno.readTextFile(`${dir}/${f}`).catch(() => "")),
    );
    await close();
    throw new Error(`${(error as Error).message}\n${logs.join("\n").slice(-2000)}`);
  }
  return {
    sendsmsUrl: sendsmsUrl(ports),
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
    async send(from, to, sms) {
      const payload = sms.kind === "text"
        ? `text ${sms.text}`
        : sms.kind === "ucs2"
        ? `ucs2 ${urlBytes(utf16be(sms.text))}`
        : sms.kind === "data"
        ? `data ${urlBytes(sms.data)}`
        : `udh ${urlBytes(sms.udh)} ${urlBytes(sms.data)}`;
      const line = `${from} ${to} ${payload}\n`;
      if (/[\r\n]/.test(payload)) throw new Error("fakesmsc takes one line per SMS");
      // It reads stdin in lines of at most 255 characters: a longer one comes out broken.
      if (line.length > 255) throw new Error(`a line too long for fakesmsc: ${line.length}`);
      const mine = ++sent;
      await stdin!.write(new TextEncoder().encode(line));
      // Resolved once fakesmsc has handed it to bearerbox.
      while (acknowledged < mine) await new Promise<void>((r) => sentWaiters.push(r));
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
 * the text, `data` or `ucs-2` then the URL-encoded bytes, `udh` then the URL-encoded header,
 * `data` and the URL-encoded data.
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

/** URL-decoded bytes (`+` is a space), or URL-encoded: as fakesmsc writes binary fields. */
function urlBytes(text: string): Uint8Array;
function urlBytes(bytes: Uint8Array): string;
function urlBytes(input: string | Uint8Array): Uint8Array | string {
  if (typeof input !== "string") {
    // Only what must be: fakesmsc reads a line of at most a few hundred characters.
    return [...input].map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, "0")}`
    ).join("");
  }
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    if (input[i] === "%") {
      out.push(parseInt(input.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(input[i] === "+" ? 0x20 : input.charCodeAt(i));
  }
  return Uint8Array.from(out);
}

function utf16be(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) >> 8;
    out[2 * i + 1] = text.charCodeAt(i) & 0xff;
  }
  return out;
}
