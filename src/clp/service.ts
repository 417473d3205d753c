/**
 * The CLP side of the server: each terminal has a CSP session inside the server, and its
 * commands run as CSP primitives through the dispatcher, answered by the same service elements as
 * every CSP client. So a CLP user and a CSP user see each other's presence and talk, and groups,
 * invitations and authorisation work the same for both. What the session is handed
 * (NewMessage, PresenceAuth-Request, InviteUser-Request, Disconnect) becomes SMS text.
 *
 * Transport-free: the SMS gateway (transport/sms) hands it each SMS from a registered phone and
 * sends what it returns; `drain` gives what waits for a session, acknowledged only once sent.
 */
import { type ClpCommand, helpText, parseCommand, usageText } from "../codec/clp/commands.ts";
import { messageSms, oneSms, presenceLine, shortGroup, shortUser } from "../codec/clp/format.ts";
import type { CspTransaction, ElementObject, Primitive } from "../codec/csp/message.ts";
import { parseGroupId, parseUserId } from "../services/shared/ids.ts";
import { dispatch } from "../session/dispatcher.ts";
import type { ServerContext } from "../session/handler.ts";
import { all, bool, nested, obj, str, strs } from "../session/values.ts";
import type { SessionRecord } from "../store/sessions.ts";
import { ClpRepo, type ClpState, type Question } from "../store/clp.ts";

export interface ClpOptions {
  /** How long a CLP session lasts without an SMS from its phone, seconds. */
  idleSeconds: number;
  /** The registered user of a phone number, for `M +447700900123 hi`. */
  userOfMsisdn?: (msisdn: string) => Promise<string | undefined>;
}

/** The terminal a command comes from: its user and phone number. */
export interface Terminal {
  userId: string;
  msisdn: string;
}

/** What a command did: the replies (one SMS each), and the session it left, if any. */
export interface ClpOutcome {
  replies: string[];
  sessionId?: string;
}

/** What waits for a session: its texts, and the acknowledgement to make once they are sent. */
export interface Drained {
  texts: string[];
  ack(): Promise<void>;
  /** True when the server ended the session (Disconnect). */
  ended: boolean;
}

const VERSION = "1.2";
/** Transactions handed out per poll: a terminal's SMS go out in order anyway. */
const MULTI_TRANS = 8;
const CONTACT_LIST_NAME = "contacts";

export class ClpService {
  readonly repo: ClpRepo;
  #tid = 0;

  constructor(private readonly server: ServerContext, private readonly options: ClpOptions) {
    this.repo = new ClpRepo(server.store);
  }

  get #domain(): string {
    return this.server.config.domain;
  }

  /** Runs one SMS from a terminal. */
  async run(terminal: Terminal, sms: string): Promise<ClpOutcome> {
    const command = parseCommand(sms);
    switch (command.kind) {
      case "help":
        return { replies: [oneSms(helpText(command.topic))] };
      case "usage":
        return { replies: [oneSms(usageText(command.command))] };
      case "unknown":
        return { replies: [oneSms(`Unknown command ${command.word}. Send HELP for the list.`)] };
      case "off":
        return await this.#logout(terminal);
    }
    const session = await this.#session(terminal);
    const replies = command.kind === "on"
      ? [`Logged in as ${shortUser(terminal.userId, this.#domain)}. HELP for commands.`]
      : await this.#command(terminal, session, command);
    return { replies: replies.map(oneSms), sessionId: session.id };
  }

  /** The user's live CLP session, or a new one: the phone's number is its credential. */
  async #session(terminal: Terminal): Promise<SessionRecord> {
    const state = await this.repo.get(terminal.userId);
    if (state.sessionId) {
      const check = await this.server.sessions.check(state.sessionId);
      if (check.state === "valid") {
        return await this.server.sessions.touch(check.session);
      }
      if (check.state === "disconnect") {
        await this.server.sessions.end(check.session, "disconnected");
      }
    }
    const session = await this.server.sessions.start({
      userId: terminal.userId,
      version: VERSION,
      clientId: { MSISDN: terminal.msisdn },
      ttl: this.options.idleSeconds,
      multiTrans: MULTI_TRANS,
      capabilities: {
        ClientType: "CLI",
        InitialDeliveryMethod: "P",
        MultiTrans: MULTI_TRANS,
        SupportedBearer: ["SMS"],
      },
    });
    await this.repo.update(terminal.userId, (s) => {
      s.sessionId = session.id;
    });
    // Watchers see a command-line client.
    await this.#request(session, "UpdatePresence-Request", {
      PresenceSubList: { ClientInfo: { Qualifier: true, ClientType: "CLI" } },
    });
    return session;
  }

  async #logout(terminal: Terminal): Promise<ClpOutcome> {
    const state = await this.repo.get(terminal.userId);
    if (!state.sessionId) return { replies: ["You are not logged in."] };
    const check = await this.server.sessions.check(state.sessionId);
    if (check.state === "valid") await this.#request(check.session, "Logout-Request", {});
    await this.repo.update(terminal.userId, (s) => {
      delete s.sessionId;
    });
    return { replies: ["Logged out."] };
  }

  async #command(
    terminal: Terminal,
    session: SessionRecord,
    command: Exclude<ClpCommand, { kind: "help" | "usage" | "unknown" | "off" | "on" }>,
  ): Promise<string[]> {
    switch (command.kind) {
      case "availability": {
        const list: ElementObject = {
          UserAvailability: { Qualifier: true, PresenceValue: command.value },
        };
        if (command.text !== undefined) {
          list.StatusText = { Qualifier: true, PresenceValue: command.text };
        }
        const answer = await this.#request(session, "UpdatePresence-Request", {
          PresenceSubList: list,
        });
        return [failure(answer) ?? "Status set."];
      }
      case "status": {
        const answer = await this.#request(session, "UpdatePresence-Request", {
          PresenceSubList: { StatusText: { Qualifier: true, PresenceValue: command.text } },
        });
        return [failure(answer) ?? (command.text ? "Status text set." : "Status text cleared.")];
      }
      case "list":
        return [await this.#list(terminal, session, command.page)];
      case "who": {
        const user = await this.#user(terminal, command.target);
        if (!user) return [`No user ${command.target}.`];
        const answer = await this.#request(session, "GetPresence-Request", {
          User: [{ UserID: user }],
        });
        const presences = presencesOf(answer);
        return [presenceLine(shortUser(user, this.#domain), presences.get(user))];
      }
      case "add":
        return [await this.#add(terminal, session, command.target, command.nick)];
      case "remove":
        return [await this.#remove(terminal, session, command.target)];
      case "message":
        return await this.#send(terminal, session, command.target, command.text);
      case "reply": {
        const state = await this.repo.get(terminal.userId);
        if (!state.lastFrom) return ["Nobody to reply to yet."];
        const to = state.lastFrom.kind === "group"
          ? shortGroup(state.lastFrom.id, this.#domain)
          : state.lastFrom.id;
        return await this.#send(terminal, session, to, command.text);
      }
      case "join":
        return [await this.#join(terminal, session, command.group, command.nick)];
      case "leave": {
        const group = await this.#group(terminal, command.group);
        if (!group) return [`No group ${command.group}.`];
        const answer = await this.#request(session, "LeaveGroup-Request", { GroupID: group });
        await this.repo.update(terminal.userId, (s) => {
          s.groups = s.groups.filter((g) => g !== group);
        });
        return [failure(answer) ?? `Left ${shortGroup(group, this.#domain)}.`];
      }
      case "groups": {
        const { groups } = await this.repo.get(terminal.userId);
        return [
          groups.length === 0
            ? "No groups. J #group to join one."
            : `Groups: ${groups.map((g) => shortGroup(g, this.#domain)).join(" ")}`,
        ];
      }
      case "answer":
        return [await this.#answer(terminal, session, command.accept, command.question)];
    }
  }

  async #list(terminal: Terminal, session: SessionRecord, page: number): Promise<string> {
    const list = await this.#contactList(terminal, session);
    const answer = await this.#request(session, "ListManage-Request", {
      ContactList: list,
      ReceiveList: true,
    });
    const contacts = all(obj(answer.body.NickList)?.NickName).map((n) => ({
      userId: str(obj(n)?.UserID) ?? "",
      nick: str(obj(n)?.Name) || undefined,
    })).filter((c) => c.userId);
    await this.repo.update(terminal.userId, (s) => {
      s.nicks = Object.fromEntries(
        contacts.filter((c) => c.nick).map((c) => [c.nick!, c.userId]),
      );
    });
    if (contacts.length === 0) return "No contacts. ADD <user> to add one.";
    const presence = presencesOf(
      await this.#request(session, "GetPresence-Request", {
        User: contacts.map((c) => ({ UserID: c.userId })),
      }),
    );
    const lines = contacts.map((c) =>
      presenceLine(c.nick ?? shortUser(c.userId, this.#domain), presence.get(c.userId))
    );
    const pages = paginate(lines);
    const index = Math.min(page, pages.length) - 1;
    return pages.length > 1
      ? `${pages[index]}${index + 1 < pages.length ? ` (L ${index + 2}: more)` : ""}`
      : pages[0];
  }

  /** The list ADD and DEL change: the default one, else the first, else a new default. */
  async #contactList(terminal: Terminal, session: SessionRecord): Promise<string> {
    const state = await this.repo.get(terminal.userId);
    const answer = await this.#request(session, "GetList-Request", {});
    const lists = strs(answer.body.ContactList);
    const chosen = str(answer.body.DefaultContactList) ??
      (state.list && lists.includes(state.list) ? state.list : lists[0]);
    if (chosen) {
      if (chosen !== state.list) {
        await this.repo.update(terminal.userId, (s) => {
          s.list = chosen;
        });
      }
      return chosen;
    }
    const user = parseUserId(terminal.userId, this.#domain)!;
    const id = `wv:${user.user}/${CONTACT_LIST_NAME}@${user.domain}`;
    await this.#request(session, "CreateList-Request", {
      ContactList: id,
      ContactListProperties: {
        Property: [{ Name: "DisplayName", Value: "Contacts" }, { Name: "Default", Value: "T" }],
      },
    });
    await this.repo.update(terminal.userId, (s) => {
      s.list = id;
    });
    return id;
  }

  async #add(terminal: Terminal, session: SessionRecord, target: string, nick?: string) {
    const user = await this.#user(terminal, target);
    if (!user) return `No user ${target}.`;
    const list = await this.#contactList(terminal, session);
    const added = await this.#request(session, "ListManage-Request", {
      ContactList: list,
      AddNickList: { NickName: [{ Name: nick ?? "", UserID: user }] },
    });
    const refused = failure(added);
    if (refused) return refused;
    if (nick) {
      await this.repo.update(terminal.userId, (s) => {
        s.nicks[nick] = user;
      });
    }
    const subscribed = await this.#request(session, "SubscribePresence-Request", {
      User: [{ UserID: user }],
    });
    const name = nick ?? shortUser(user, this.#domain);
    return failure(subscribed) ?? `${name} added. Their status shows once they agree.`;
  }

  async #remove(terminal: Terminal, session: SessionRecord, target: string) {
    const user = await this.#user(terminal, target);
    if (!user) return `No user ${target}.`;
    const list = await this.#contactList(terminal, session);
    const answer = await this.#request(session, "ListManage-Request", {
      ContactList: list,
      RemoveNickList: { UserID: [user] },
    });
    await this.#request(session, "UnsubscribePresence-Request", { User: [{ UserID: user }] });
    await this.repo.update(terminal.userId, (s) => {
      for (const [nick, id] of Object.entries(s.nicks)) if (id === user) delete s.nicks[nick];
    });
    return failure(answer) ?? `${shortUser(user, this.#domain)} removed.`;
  }

  /** Sends a message; a sent one is not answered (each SMS costs), a refused one is. */
  async #send(
    terminal: Terminal,
    session: SessionRecord,
    target: string,
    text: string,
  ): Promise<string[]> {
    let recipient: ElementObject;
    let name: string;
    if (target.startsWith("#")) {
      const group = await this.#group(terminal, target);
      if (!group) return [`No group ${target}.`];
      recipient = { Group: [{ GroupID: group }] };
      name = shortGroup(group, this.#domain);
    } else {
      const user = await this.#user(terminal, target);
      if (!user) return [`No user ${target}.`];
      recipient = { User: [{ UserID: user }] };
      name = shortUser(user, this.#domain);
    }
    const answer = await this.#request(session, "SendMessage-Request", {
      DeliveryReport: false,
      MessageInfo: { ContentType: "text/plain", Recipient: recipient },
      ContentData: text,
    });
    const refused = failure(answer);
    return refused ? [`Not sent to ${name}: ${refused}`] : [];
  }

  async #join(terminal: Terminal, session: SessionRecord, target: string, nick?: string) {
    const group = await this.#group(terminal, target.startsWith("#") ? target : `#${target}`);
    if (!group) return `No group ${target}.`;
    const screenName = nick ?? parseUserId(terminal.userId, this.#domain)!.user;
    const answer = await this.#request(session, "JoinGroup-Request", {
      GroupID: group,
      ScreenName: { SName: screenName, GroupID: group },
      JoinedRequest: false,
      SubscribeNotification: false,
    });
    const refused = failure(answer);
    if (refused) return refused;
    await this.repo.update(terminal.userId, (s) => {
      s.groups = [...s.groups.filter((g) => g !== group), group];
    });
    return `Joined ${shortGroup(group, this.#domain)} as ${screenName}. M ${
      shortGroup(group, this.#domain)
    } <text> to write.`;
  }

  async #answer(terminal: Terminal, session: SessionRecord, accept: boolean, n?: number) {
    const state = await this.repo.get(terminal.userId);
    const question = n === undefined
      ? state.questions.at(-1)
      : state.questions.find((q) => q.n === n);
    if (!question) return n === undefined ? "Nothing to answer." : `No request ${n}.`;
    await this.repo.update(terminal.userId, (s) => {
      s.questions = s.questions.filter((q) => q.n !== question.n);
    });
    const from = shortUser(question.kind === "auth" ? question.user : question.from, this.#domain);
    if (question.kind === "auth") {
      const answer = await this.#request(session, "PresenceAuth-User", {
        UserID: question.user,
        Acceptance: accept,
      });
      return failure(answer) ??
        (accept ? `${from} can see your status.` : `${from} cannot see your status.`);
    }
    const answer = await this.#request(session, "InviteUser-Response", {
      InviteID: question.inviteId,
      Acceptance: accept,
      Recipient: { User: { UserID: question.from } },
    });
    const refused = failure(answer);
    if (refused) return refused;
    if (!accept) return `Declined ${from}'s invitation.`;
    if (question.group) return await this.#join(terminal, session, shortGroup(question.group, ""));
    return `Accepted ${from}'s invitation.`;
  }

  /** A user by id, nickname or a registered phone number; undefined when none. */
  async #user(terminal: Terminal, target: string): Promise<string | undefined> {
    if (/^\+?[0-9]{3,20}$/.test(target)) return await this.options.userOfMsisdn?.(target);
    const state = await this.repo.get(terminal.userId);
    const lower = target.toLowerCase();
    const byNick = Object.entries(state.nicks).find(([nick]) => nick.toLowerCase() === lower);
    if (byNick) return byNick[1];
    return parseUserId(target, this.#domain)?.id;
  }

  /** `#owner/name[@domain]`, or `#name` of a group joined from the phone (else the server's). */
  async #group(terminal: Terminal, target: string): Promise<string | undefined> {
    const name = target.replace(/^#/, "");
    if (name.includes("/")) return parseGroupId(name, this.#domain)?.id;
    const { groups } = await this.repo.get(terminal.userId);
    const lower = name.toLowerCase();
    const joined = groups.find((g) => parseGroupId(g, this.#domain)?.name === lower);
    return joined ?? parseGroupId(`/${name}`, this.#domain)?.id;
  }

  /**
   * Takes what waits for the session, as the texts to send. `ack` acknowledges it all once they
   * are sent; unacknowledged, it is handed out again later (RESEND_AFTER_MS), so a failed send
   * loses nothing.
   */
  async drain(sessionId: string): Promise<Drained> {
    const check = await this.server.sessions.check(sessionId);
    if (check.state === "disconnect") {
      await this.server.sessions.end(check.session, "disconnected");
      const { description } = check.session.disconnect!;
      await this.#forget(check.session.userId, sessionId);
      return { texts: [oneSms(`You were logged out: ${description}`)], ack: noop, ended: true };
    }
    if (check.state !== "valid") {
      return { texts: [], ack: noop, ended: true };
    }
    const session = check.session;
    const polled = await dispatch(this.server, {
      version: VERSION,
      sessionType: "Inband",
      sessionId,
      transactions: [this.#tx("Polling-Request", {})],
    });
    const handed = (polled?.transactions ?? []).filter((t) => t.mode === "Request");
    const texts: string[] = [];
    const acks: CspTransaction[] = [];
    let ended = false;
    for (const tx of handed) {
      const { name, body } = tx.primitive;
      if (name === "Disconnect") {
        ended = true;
        texts.push(oneSms(`You were logged out: ${str(obj(body.Result)?.Description) ?? ""}`));
        continue;
      }
      texts.push(...await this.#incoming(session, tx.primitive));
      acks.push({
        mode: "Response",
        transactionId: tx.transactionId ?? "",
        primitive: name === "NewMessage"
          ? { name: "MessageDelivered", body: { MessageID: obj(body.MessageInfo)?.MessageID } }
          : { name: "Status", body: { Result: { Code: 200 } } },
      });
    }
    if (ended) await this.#forget(session.userId, sessionId);
    return {
      texts,
      ended,
      ack: async () => {
        if (acks.length === 0 || ended) return;
        await dispatch(this.server, {
          version: VERSION,
          sessionType: "Inband",
          sessionId,
          transactions: acks,
        });
      },
    };
  }

  async #forget(userId: string, sessionId: string): Promise<void> {
    await this.repo.update(userId, (s) => {
      if (s.sessionId === sessionId) delete s.sessionId;
    });
  }

  /** A server-originated transaction as SMS text; nothing for those a terminal need not see. */
  async #incoming(session: SessionRecord, primitive: Primitive): Promise<string[]> {
    const { name, body } = primitive;
    const user = session.userId;
    switch (name) {
      case "NewMessage": {
        const info = obj(body.MessageInfo) ?? {};
        const sender = obj(info.Sender) ?? {};
        const fromUser = str(obj(sender.User)?.UserID);
        const screen = obj(nested(sender, "Group", "ScreenName"));
        const group = str(screen?.GroupID) ?? str(nested(sender, "Group", "GroupID")) ??
          str(nested(info, "Recipient", "Group", "GroupID"));
        const content = textContent(info, body.ContentData);
        if (group) {
          await this.repo.update(user, (s) => {
            s.lastFrom = { kind: "group", id: group };
          });
          const who = str(screen?.SName) ?? (fromUser ? shortUser(fromUser, this.#domain) : "?");
          return messageSms(`${shortGroup(group, this.#domain)} ${who}: ${content}`);
        }
        if (fromUser) {
          await this.repo.update(user, (s) => {
            s.lastFrom = { kind: "user", id: fromUser };
          });
        }
        const who = fromUser ? await this.#displayName(user, fromUser) : "?";
        return messageSms(`${who}: ${content}`);
      }
      case "PresenceAuth-Request": {
        const from = str(body.UserID);
        if (!from) return [];
        const n = await this.repo.ask(user, { kind: "auth", user: from });
        const who = await this.#displayName(user, from);
        return [oneSms(`${who} asks to see your status. Y${n} to allow, N${n} to refuse.`)];
      }
      case "InviteUser-Request": {
        const inviteId = str(body.InviteID);
        const from = str(nested(body, "Sender", "User", "UserID"));
        if (!inviteId || !from) return [];
        const group = str(body.GroupID);
        const n = await this.repo.ask(user, { kind: "invite", inviteId, from, group });
        const who = await this.#displayName(user, from);
        const note = str(body.InviteNote);
        const what = group ? `to join ${shortGroup(group, this.#domain)}` : "to see their status";
        return [
          oneSms(`${who} invites you ${what}${note ? `: ${note}` : ""}. Y${n} yes, N${n} no.`),
        ];
      }
      case "CancelInviteUser-Request": {
        const inviteId = str(body.InviteID);
        await this.repo.update(user, (s) => {
          s.questions = s.questions.filter((q) => q.kind !== "invite" || q.inviteId !== inviteId);
        });
        return [];
      }
    }
    // Presence changes, delivery reports, group notices: LIST and W show the present state.
    return [];
  }

  async #displayName(owner: string, userId: string): Promise<string> {
    const { nicks } = await this.repo.get(owner);
    const nick = Object.entries(nicks).find(([, id]) => id === userId)?.[0];
    return nick ?? shortUser(userId, this.#domain);
  }

  #tx(name: string, body: ElementObject): CspTransaction {
    this.#tid = (this.#tid + 1) % 1_000_000;
    return { mode: "Request", transactionId: `clp${this.#tid}`, primitive: { name, body } };
  }

  /** Runs one primitive in the session; its answer (a Status when refused). */
  async #request(session: SessionRecord, name: string, body: ElementObject): Promise<Primitive> {
    const reply = await dispatch(this.server, {
      version: VERSION,
      sessionType: "Inband",
      sessionId: session.id,
      transactions: [this.#tx(name, body)],
    });
    return reply?.transactions[0]?.primitive ??
      { name: "Status", body: { Result: { Code: 200 } } };
  }
}

const noop = () => Promise.resolve();

/** What went wrong, in a few words; undefined when the answer is a success. */
function failure(answer: Primitive): string | undefined {
  const result = obj(answer.body.Result);
  const code = Number(str(result?.Code) ?? 200);
  if (code >= 200 && code < 300) return undefined;
  const description = str(result?.Description) ||
    str(obj(all(result?.DetailedResult)[0])?.Description);
  return `${description || "Refused"} (${code}).`;
}

/** The presence of each user in a GetPresence answer: online, availability, status text. */
function presencesOf(answer: Primitive) {
  const out = new Map<string, { online?: boolean; availability?: string; text?: string }>();
  for (const p of all(answer.body.Presence)) {
    const presence = obj(p);
    const userId = str(presence?.UserID);
    if (!userId) continue;
    const list = obj(presence?.PresenceSubList) ?? {};
    const valid = (v: unknown) => bool(obj(v as ElementObject)?.Qualifier) !== false;
    const value = (v: unknown) => str(obj(v as ElementObject)?.PresenceValue);
    const online = all(list.OnlineStatus).filter(valid).map(value);
    out.set(userId, {
      online: online.length === 0 ? undefined : online.includes("T"),
      availability: valid(list.UserAvailability) ? value(list.UserAvailability) : undefined,
      text: valid(list.StatusText) ? value(list.StatusText) || undefined : undefined,
    });
  }
  return out;
}

/** Text content as is; other content named rather than shown. */
function textContent(info: ElementObject, data: ElementObject[string]): string {
  const type = (str(info.ContentType) ?? "text/plain").toLowerCase();
  const encoding = (str(info.ContentEncoding) ?? "None").toUpperCase();
  if (type.startsWith("text/plain") && encoding !== "BASE64") return str(data) ?? "";
  return `[${type}]`;
}

/** Lines joined with "; " into pages that each fit one SMS with room for the "more" note. */
function paginate(lines: string[]): string[] {
  const room = 160 - " (L 99: more)".length;
  const pages: string[] = [];
  let page = "";
  for (const line of lines) {
    const next = page ? `${page}; ${line}` : line;
    if (page && next.length > room) {
      pages.push(page);
      page = line;
    } else page = next;
  }
  pages.push(page);
  return pages;
}

export type { ClpState, Question };
