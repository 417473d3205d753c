/**
 * The Command Line Protocol's commands (seed §6.3, §6.4.2: legacy terminals over SMS). The
 * standard's text (WV-051) is not public and no description of its commands was found, so this
 * command set is this server's design: short words a person types on a phone keypad, any case,
 * one command per SMS, each answered in one SMS.
 *
 * Addresses: `bob` (this domain), `bob@other.example`, `wv:bob@…`, a contact's nickname, or a
 * phone number of a registered user; a group is `#` and its id (`#alice/chat`), or `#chat` for one
 * the user joined (see the CLP service).
 */

export type Availability = "AVAILABLE" | "DISCREET" | "NOT_AVAILABLE";

export type ClpCommand =
  | { kind: "help"; topic?: string }
  | { kind: "on" }
  | { kind: "off" }
  | { kind: "availability"; value: Availability; text?: string }
  | { kind: "status"; text: string }
  | { kind: "list"; page: number }
  | { kind: "who"; target: string }
  | { kind: "add"; target: string; nick?: string }
  | { kind: "remove"; target: string }
  | { kind: "message"; target: string; text: string }
  | { kind: "reply"; text: string }
  | { kind: "join"; group: string; nick?: string }
  | { kind: "leave"; group: string }
  | { kind: "groups" }
  | { kind: "answer"; accept: boolean; question?: number }
  /** A known command without what it needs: answered with its usage. */
  | { kind: "usage"; command: string }
  | { kind: "unknown"; word: string };

interface CommandSpec {
  /** The names it is typed as; the first is the one help shows. */
  names: string[];
  usage: string;
  help: string;
}

/** The command table, in the order help lists it (the README shows the same table). */
export const COMMANDS: readonly CommandSpec[] = [
  { names: ["HELP", "?", "H"], usage: "HELP [command]", help: "commands, or how to use one" },
  { names: ["ON", "LOGIN"], usage: "ON", help: "log in with this phone's number" },
  { names: ["OFF", "LOGOUT"], usage: "OFF", help: "log out" },
  { names: ["AV"], usage: "AV [status text]", help: "available" },
  { names: ["BUSY"], usage: "BUSY [status text]", help: "busy (discreet)" },
  { names: ["AWAY"], usage: "AWAY [status text]", help: "not available" },
  { names: ["ST", "STATUS"], usage: "ST [text]", help: "set status text (none: clear it)" },
  { names: ["L", "LIST"], usage: "L [page]", help: "contacts and their status" },
  { names: ["W", "WHO"], usage: "W <user>", help: "one user's status" },
  { names: ["ADD", "A"], usage: "ADD <user> [nickname]", help: "add a contact, ask for status" },
  { names: ["DEL", "D"], usage: "DEL <user>", help: "remove a contact" },
  { names: ["M", "MSG"], usage: "M <user or #group> <text>", help: "send a message" },
  { names: ["R", "REPLY"], usage: "R <text>", help: "reply to the last message" },
  { names: ["J", "JOIN"], usage: "J <#group> [nickname]", help: "join a group" },
  { names: ["LV", "LEAVE"], usage: "LV <#group>", help: "leave a group" },
  { names: ["G", "GROUPS"], usage: "G", help: "groups joined" },
  { names: ["Y", "YES"], usage: "Y [n]", help: "accept request n (the last one)" },
  { names: ["N", "NO"], usage: "N [n]", help: "decline request n (the last one)" },
];

const BY_NAME = new Map<string, CommandSpec>(
  COMMANDS.flatMap((spec) => spec.names.map((name) => [name, spec] as [string, CommandSpec])),
);

/** The spec of a command by any of its names, any case. */
export function commandSpec(word: string): CommandSpec | undefined {
  return BY_NAME.get(word.toUpperCase());
}

/**
 * Reads one SMS as a command. Words are split on white space; a message's text is kept as typed
 * after its recipient. `Y2`/`N2` may be typed without the space.
 */
export function parseCommand(sms: string): ClpCommand {
  const text = sms.trim();
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!m) return { kind: "help" };
  let [, word, rest = ""] = m;
  const answer = /^(Y|YES|N|NO)([0-9]+)$/i.exec(word);
  if (answer) [word, rest] = [answer[1], answer[2]];
  const spec = commandSpec(word);
  if (!spec) return { kind: "unknown", word };
  const name = spec.names[0];
  const args = rest.trim();
  const [first = "", ...others] = args === "" ? [] : args.split(/\s+/);
  const afterFirst = args.slice(first.length).trim();
  const usage = { kind: "usage", command: name } as const;
  switch (name) {
    case "HELP":
      return first ? { kind: "help", topic: first } : { kind: "help" };
    case "ON":
      return { kind: "on" };
    case "OFF":
      return { kind: "off" };
    case "AV":
    case "BUSY":
    case "AWAY": {
      const value = name === "AV" ? "AVAILABLE" : name === "BUSY" ? "DISCREET" : "NOT_AVAILABLE";
      return args ? { kind: "availability", value, text: args } : { kind: "availability", value };
    }
    case "ST":
      return { kind: "status", text: args };
    case "L": {
      if (!first) return { kind: "list", page: 1 };
      return /^[1-9][0-9]{0,2}$/.test(first) ? { kind: "list", page: Number(first) } : usage;
    }
    case "W":
      return first ? { kind: "who", target: first } : usage;
    case "ADD":
      if (!first) return usage;
      return others.length > 0
        ? { kind: "add", target: first, nick: afterFirst }
        : { kind: "add", target: first };
    case "DEL":
      return first ? { kind: "remove", target: first } : usage;
    case "M":
      return first && afterFirst ? { kind: "message", target: first, text: afterFirst } : usage;
    case "R":
      return args ? { kind: "reply", text: args } : usage;
    case "J":
      if (!first) return usage;
      return others.length > 0
        ? { kind: "join", group: first, nick: afterFirst }
        : { kind: "join", group: first };
    case "LV":
      return first ? { kind: "leave", group: first } : usage;
    case "G":
      return { kind: "groups" };
    default: {
      // Y / N
      const accept = name === "Y";
      if (!first) return { kind: "answer", accept };
      return /^[0-9]{1,4}$/.test(first)
        ? { kind: "answer", accept, question: Number(first) }
        : usage;
    }
  }
}

/** What HELP answers: every command's first name, or one command's usage and meaning. */
export function helpText(topic?: string): string {
  if (topic) {
    const spec = commandSpec(topic);
    if (!spec) return `No command ${topic}. Send HELP for the list.`;
    const aka = spec.names.slice(1).filter((n) => n.length > 1 || /[A-Z]/.test(n));
    return `${spec.usage}: ${spec.help}${aka.length ? ` (also ${aka.join(", ")})` : ""}`;
  }
  return `Commands: ${COMMANDS.map((c) => c.names[0]).join(" ")}. HELP <command> for one.`;
}

export function usageText(command: string): string {
  const spec = commandSpec(command);
  return spec ? `Use: ${spec.usage}` : helpText();
}
