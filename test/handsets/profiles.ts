/**
 * Client profiles of real IMPS handset engines, written from their public source (read for
 * facts; see ../shared/spec/handsets.md): what each sends, in its order, with its quirks.
 *
 * - Android's IMPS engine (aosp-mirror/platform_packages_apps_im, src/com/android/im/imps/):
 *   ImpsConnection.java (login), ImpsSession.java (capabilities, service), ImpsClientCapability,
 *   ImpsContactListManager, ImpsChatSessionManager, ImpsChatGroupManager, ImpsTransactionManager.
 * - Nokia's S60 IMPS engine and presence engine (SymbianSource/oss.FCL.sf.app.IM, IMPSengine/ and
 *   PECengine/): impssdatautils.cpp (login, capabilities, service), impssrvutils.cpp (reading
 *   the Service-Response), impscspsession.cpp (transaction ids, cookie, answers), impsgroupcli.cpp
 *   (JoinGroup), impsimcommand.cpp (SendMessage), PECengine/ListLibrary2 (contact lists).
 * - A CSP 1.1 feature phone (Magic4 client of a Motorola Razr V3), from the capture `rand.xml` in
 *   RengeLK/interVillage: password login, user ids without a domain, KeepAlive TimeToLive 10.
 */
import assert from "node:assert/strict";
import type { CspTransaction, CspVersion } from "../../src/codec/csp/message.ts";
import { type DigestSchema, loginDigest, toBase64 } from "../../src/util/crypto.ts";
import type { Reply, Transport } from "../support/harness.ts";
import { expectCirAgreement } from "./cir.ts";
import type { EncodingName } from "./encoding.ts";
import { Handset } from "./handset.ts";
import { androidReading, featurePhoneReading, nokiaReading } from "./service_tree.ts";
import { at, element, items } from "../support/body_reader.ts";

export interface HandsetProfile {
  /** Short name used in test names and the README table. */
  id: string;
  engine: string;
  version: CspVersion;
  /** The encoding the engine uses, and the profile speaks. */
  nativeEncoding: EncodingName;
  login: string;
  /** CIR methods the engine offers in ClientCapability, in its order. */
  cirMethods: string[];
  /** How often it polls without CIR: first interval, growth per idle poll, ceiling (seconds). */
  polling: { initialSeconds: number; stepSeconds: number; maxSeconds: number };
  make(name: string, transport: Transport, domain: string): Handset;
}

const PA11 = `xmlns="http://www.wireless-village.org/PA1.1"`;
const PA12 = `xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"`;
const pa = (version: CspVersion) => version === "1.1" ? PA11 : PA12;

const qualified = (name: string, value: string) =>
  `<${name}><Qualifier>T</Qualifier><PresenceValue>${value}</PresenceValue></${name}>`;

/** Step 2 of a 4-way login: the digest of the nonce the server handed out. */
function digestOf(step1: Reply, password: string): string {
  const nonce = String(step1.body.Nonce);
  return toBase64(loginDigest(step1.body.DigestSchema as DigestSchema, nonce, password));
}

function rememberSession(handset: Handset, reply: Reply): Reply {
  assert.equal(reply.code, 200, `${handset.profile.id} login: ${reply.text}`);
  handset.sessionId = String(reply.body.SessionID);
  return reply;
}

// ---------------------------------------------------------------------------------------------
// Android

/**
 * Android: 4-way login offering MD5 then SHA (never PWD), TimeToLive 7205 (its 2 h keep-alive
 * + 5), ClientID URL "JiMMY"; DigestSchema after SessionCookie; decimal transaction ids wrapping
 * at 999 (this profile starts at 990 to wrap within a conversation); polls with an empty
 * TransactionID; reads only AllFunctions; reactive presence authorisation.
 */
class AndroidHandset extends Handset {
  #tid = 990;
  #cookie = `${Math.floor(Math.random() * 1e9)}`;

  idOf(name: string, domain = this.domain): string {
    return `wv:${name}@${domain}`;
  }

  protected nextTransactionId(): string {
    if (this.#tid >= 999) this.#tid = 0;
    return String(++this.#tid);
  }

  protected override pollTransactionId(): string {
    return "";
  }

  #basicLogin(): string {
    return `<UserID>${this.userId}</UserID><ClientID><URL>JiMMY</URL></ClientID>` +
      `<TimeToLive>7205</TimeToLive><SessionCookie>${this.#cookie}</SessionCookie>`;
  }

  async login(password: string): Promise<Reply> {
    const step1 = await this.send(
      `<Login-Request>${this.#basicLogin()}<DigestSchema>MD5</DigestSchema>` +
        `<DigestSchema>SHA</DigestSchema></Login-Request>`,
    );
    if (step1.body.SessionID !== undefined) return rememberSession(this, step1);
    assert.ok(step1.body.Nonce, `Android needs a nonce: ${step1.text}`);
    return rememberSession(
      this,
      await this.send(
        `<Login-Request>${this.#basicLogin()}<DigestBytes>${
          digestOf(step1, password)
        }</DigestBytes></Login-Request>`,
      ),
    );
  }

  async negotiate(): Promise<void> {
    const capability = await this.send(
      `<ClientCapability-Request><CapabilityList><ClientType>MOBILE_PHONE</ClientType>` +
        `<AcceptedContentLength>262144</AcceptedContentLength><ParserSize>262144</ParserSize>` +
        `<MultiTrans>1</MultiTrans><InitialDeliveryMethod>P</InitialDeliveryMethod>` +
        `<ServerPollMin>30</ServerPollMin><SupportedBearer>HTTP</SupportedBearer>` +
        this.profile.cirMethods.map((m) => `<SupportedCIRMethod>${m}</SupportedCIRMethod>`)
          .join("") +
        `</CapabilityList></ClientCapability-Request>`,
    );
    this.waiting = expectCirAgreement(
      this.profile,
      element(capability.body, "AgreedCapabilityList"),
    );
    const service = await this.send(
      `<Service-Request><Functions><WVCSPFeat><FundamentalFeat/><PresenceFeat/><IMFeat/>` +
        `<GroupFeat/></WVCSPFeat></Functions><AllFunctionsRequest>T</AllFunctionsRequest>` +
        `</Service-Request>`,
    );
    this.enabled = androidReading(service.body);
    // Then its own presence, and its ClientInfo when the server's differs.
    const own = await this.send(
      `<GetPresence-Request><User><UserID>${this.userId}</UserID></User></GetPresence-Request>`,
    );
    assert.equal(own.code, 200);
    await this.send(
      `<UpdatePresence-Request><PresenceSubList ${PA12}><ClientInfo><Qualifier>T</Qualifier>` +
        `<ClientType>MOBILE_PHONE</ClientType><ClientProducer>Google</ClientProducer>` +
        `<ClientVersion>1.0</ClientVersion></ClientInfo></PresenceSubList>` +
        `</UpdatePresence-Request>`,
    );
  }

  async publishOnline(): Promise<void> {
    await this.setStatus("");
  }

  async setStatus(text: string): Promise<Reply> {
    const status = text ? qualified("StatusText", text) : "";
    const reply = await this.send(
      `<UpdatePresence-Request><PresenceSubList ${PA12}>${qualified("OnlineStatus", "T")}` +
        `${qualified("UserAvailability", "AVAILABLE")}${status}</PresenceSubList>` +
        `</UpdatePresence-Request>`,
    );
    assert.equal(reply.code, 200);
    return reply;
  }

  async addContact(other: Handset, nick: string): Promise<void> {
    const lists = await this.send("<GetList-Request/>");
    assert.equal(lists.primitive.name, "GetList-Response");
    const list = `wv:${this.name}/Friends@${this.domain}`;
    const created = await this.send(
      `<CreateList-Request><ContactList>${list}</ContactList><ContactListProperties>` +
        `<Property><Name>DisplayName</Name><Value>Friends</Value></Property>` +
        `<Property><Name>Default</Name><Value>T</Value></Property></ContactListProperties>` +
        `</CreateList-Request>`,
    );
    assert.equal(created.code, 200, created.text);
    // Its ListManage puts ReceiveList before AddNickList.
    const added = await this.send(
      `<ListManage-Request><ContactList>${list}</ContactList><ReceiveList>F</ReceiveList>` +
        `<AddNickList><NickName><Name>${nick}</Name><UserID>${other.userId}</UserID></NickName>` +
        `</AddNickList></ListManage-Request>`,
    );
    assert.equal(added.code, 200, added.text);
    const loaded = await this.send(
      `<ListManage-Request><ContactList>${list}</ContactList><ReceiveList>T</ReceiveList>` +
        `</ListManage-Request>`,
    );
    const nicks = items(loaded.body, "NickList", "NickName");
    assert.deepEqual(nicks.map((n) => at(n, "UserID")), [other.userId]);
    const subscribed = await this.send(
      `<SubscribePresence-Request><ContactList>${list}</ContactList>` +
        `<AutoSubscribe>T</AutoSubscribe></SubscribePresence-Request>`,
    );
    assert.equal(subscribed.code, 200, subscribed.text);
  }

  /** Reactive: Android answers the PresenceAuth-Request (see onServerRequest). */
  async allowToWatch(_other: Handset): Promise<void> {}

  protected override async onServerRequest(tx: CspTransaction): Promise<void> {
    if (tx.primitive.name !== "PresenceAuth-Request") return;
    const reply = await this.send(
      `<PresenceAuth-User><UserID>${tx.primitive.body.UserID}</UserID>` +
        `<Acceptance>T</Acceptance></PresenceAuth-User>`,
    );
    assert.equal(reply.code, 200, reply.text);
  }

  async sendText(to: Handset, text: string): Promise<Reply> {
    return await this.send(
      `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
        `<UserID>${to.userId}</UserID></User></Recipient><Sender><User><UserID>${this.userId}` +
        `</UserID></User></Sender><ContentType>text/plain</ContentType><ContentSize>` +
        `${text.length}</ContentSize></MessageInfo><ContentData>${text}</ContentData>` +
        `</SendMessage-Request>`,
    );
  }

  async joinGroup(groupId: string): Promise<Reply> {
    return await this.send(
      `<JoinGroup-Request><GroupID>${groupId}</GroupID><ScreenName><SName>${this.name}</SName>` +
        `<GroupID>${groupId}</GroupID></ScreenName><JoinedRequest>T</JoinedRequest>` +
        `<SubscribeNotification>T</SubscribeNotification></JoinGroup-Request>`,
    );
  }

  async keepAlive(): Promise<Reply> {
    return await this.send("<KeepAlive-Request/>");
  }
}

// ---------------------------------------------------------------------------------------------
// Nokia S60

/**
 * Nokia S60: 4-way login offering only MD5 (a password only if the server answers PWD),
 * TimeToLive 3600, SessionCookie `wv:nokia.<n>`, a ClientID that is an MSISDN when it is all
 * digits; transaction ids `nok<n>`; ClientCapability with AnyContent and AcceptedCharset (106,
 * UTF-8) even in 1.1/1.2, MultiTrans 3, ParserSize 128 KB, AcceptedContentLength 100 KB,
 * ServerPollMin 8 and the CIR methods WAPSMS, WAPUDP, STCP, SUDP (UDPPort 3717); a Service-Request
 * asking IMFeat as IMReceiveFunc{NEWM} and IMAuthFunc only, AllFunctionsRequest F, read the
 * DiscardServicesL way; contact lists and attribute lists as its presence engine builds them;
 * SendMessage without ContentType.
 */
class NokiaHandset extends Handset {
  static #tidSeed = 0;
  #cookie = `wv:nokia.${Math.floor(Math.random() * 2 ** 31)}`;

  idOf(name: string, domain = this.domain): string {
    return `wv:${name}@${domain}`;
  }

  protected nextTransactionId(): string {
    return `nok${++NokiaHandset.#tidSeed}`;
  }

  #clientId(): string {
    return "<ClientID><MSISDN>+358401234567</MSISDN></ClientID>";
  }

  async login(password: string): Promise<Reply> {
    const head = `<Login-Request><UserID>${this.userId}</UserID>${this.#clientId()}`;
    const tail = `<SessionCookie>${this.#cookie}</SessionCookie><TimeToLive>3600</TimeToLive>` +
      `</Login-Request>`;
    const step1 = await this.send(`${head}<DigestSchema>MD5</DigestSchema>${tail}`);
    if (step1.body.SessionID !== undefined) return rememberSession(this, step1);
    assert.equal(step1.code, 200, `${this.profile.id} step 1: ${step1.text}`);
    const proof = step1.body.DigestSchema === "PWD"
      ? `<Password>${password}</Password>`
      : `<DigestBytes>${digestOf(step1, password)}</DigestBytes>`;
    return rememberSession(this, await this.send(`${head}${proof}${tail}`));
  }

  async negotiate(): Promise<void> {
    const clientId = this.version === "1.1" ? this.#clientId() : "";
    const capability = await this.send(
      `<ClientCapability-Request>${clientId}<CapabilityList><ClientType>MOBILE_PHONE</ClientType>` +
        `<InitialDeliveryMethod>P</InitialDeliveryMethod><AnyContent>T</AnyContent>` +
        `<AcceptedCharset>106</AcceptedCharset>` +
        `<AcceptedContentLength>102400</AcceptedContentLength>` +
        `<AcceptedTransferEncoding>BASE64</AcceptedTransferEncoding>` +
        `<SupportedBearer>HTTP</SupportedBearer>` +
        this.profile.cirMethods.map((m) => `<SupportedCIRMethod>${m}</SupportedCIRMethod>`)
          .join("") +
        `<UDPPort>3717</UDPPort><MultiTrans>3</MultiTrans><ParserSize>131072</ParserSize>` +
        `<ServerPollMin>8</ServerPollMin></CapabilityList></ClientCapability-Request>`,
    );
    const agreed = element(
      capability.body,
      this.version === "1.1" ? "CapabilityList" : "AgreedCapabilityList",
    );
    this.waiting = expectCirAgreement(this.profile, agreed);
    assert.equal(agreed.MultiTrans, 3);
    const service = await this.send(
      `<Service-Request>${clientId}<Functions><WVCSPFeat><IMFeat><IMReceiveFunc><NEWM/>` +
        `</IMReceiveFunc><IMAuthFunc/></IMFeat><GroupFeat/><PresenceFeat><PresenceDeliverFunc/>` +
        `<AttListFunc/><ContListFunc/><PresenceAuthFunc><GETWL/></PresenceAuthFunc>` +
        `</PresenceFeat><FundamentalFeat><SearchFunc/><InviteFunc/></FundamentalFeat>` +
        `</WVCSPFeat></Functions><AllFunctionsRequest>F</AllFunctionsRequest></Service-Request>`,
    );
    this.enabled = nokiaReading(service.body, this.version, false);
  }

  async publishOnline(): Promise<void> {
    await this.setStatus("");
  }

  async setStatus(text: string): Promise<Reply> {
    const status = text ? qualified("StatusText", text) : "";
    const reply = await this.send(
      `<UpdatePresence-Request><PresenceSubList ${pa(this.version)}>` +
        `${qualified("OnlineStatus", "T")}${qualified("UserAvailability", "AVAILABLE")}${status}` +
        `</PresenceSubList></UpdatePresence-Request>`,
    );
    assert.equal(reply.code, 200, reply.text);
    return reply;
  }

  #attributes(): string {
    return `<PresenceSubList ${pa(this.version)}><OnlineStatus/><UserAvailability/>` +
      `<StatusText/></PresenceSubList>`;
  }

  async addContact(other: Handset, nick: string): Promise<void> {
    assert.equal((await this.send("<GetList-Request/>")).primitive.name, "GetList-Response");
    const list = `wv:${this.name}/contacts@${this.domain}`;
    const created = await this.send(
      `<CreateList-Request><ContactList>${list}</ContactList><ContactListProperties><Property>` +
        `<Name>DisplayName</Name><Value>Contacts</Value></Property><Property><Name>Default` +
        `</Name><Value>T</Value></Property></ContactListProperties></CreateList-Request>`,
    );
    assert.equal(created.code, 200, created.text);
    const added = await this.send(
      `<ListManage-Request><ContactList>${list}</ContactList><AddNickList><NickName><Name>` +
        `${nick}</Name><UserID>${other.userId}</UserID></NickName></AddNickList>` +
        `<ReceiveList>T</ReceiveList></ListManage-Request>`,
    );
    assert.equal(added.code, 200, added.text);
    const autoSubscribe = this.version === "1.2" ? "<AutoSubscribe>T</AutoSubscribe>" : "";
    const subscribed = await this.send(
      `<SubscribePresence-Request><ContactList>${list}</ContactList>${this.#attributes()}` +
        `${autoSubscribe}</SubscribePresence-Request>`,
    );
    assert.equal(subscribed.code, 200, subscribed.text);
  }

  /** Proactive: an attribute list for the watcher. */
  async allowToWatch(other: Handset): Promise<void> {
    const reply = await this.send(
      `<CreateAttributeList-Request>${this.#attributes()}<UserID>${other.userId}</UserID>` +
        `<DefaultList>F</DefaultList></CreateAttributeList-Request>`,
    );
    assert.equal(reply.code, 200, reply.text);
  }

  async sendText(to: Handset, text: string): Promise<Reply> {
    return await this.send(
      `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
        `<UserID>${to.userId}</UserID></User></Recipient><Sender><User><UserID>${this.userId}` +
        `</UserID></User></Sender></MessageInfo><ContentData>${text}</ContentData>` +
        `</SendMessage-Request>`,
    );
  }

  async joinGroup(groupId: string): Promise<Reply> {
    return await this.send(
      `<JoinGroup-Request><GroupID>${groupId}</GroupID><ScreenName><SName>${this.name}</SName>` +
        `<GroupID>${groupId}</GroupID></ScreenName><JoinedRequest>T</JoinedRequest>` +
        `<SubscribeNotification>T</SubscribeNotification></JoinGroup-Request>`,
    );
  }

  async keepAlive(): Promise<Reply> {
    return await this.send("<KeepAlive-Request/>");
  }
}

// ---------------------------------------------------------------------------------------------
// CSP 1.1 feature phone

/**
 * The CSP 1.1 feature phone: password login, user ids and contact lists without a domain
 * (`wv:renge`, `wv:renge/Default`), a ClientID that changes with every request, cookie
 * MAGIC4_SESSION_COOKIE, decimal transaction ids from 2; ClientCapability with
 * `text/plain; charset=utf-8`, AcceptedContentLength 512, ParserSize 16384, WAPSMS as the only CIR
 * method and ServerPollMin 20; Service-Request for three features (no GroupFeat) with
 * AllFunctionsRequest T; UpdatePresence with PA 1.1 and an invalid (Qualifier F) StatusText;
 * SendMessage naming itself as Sender; KeepAlive TimeToLive 10.
 */
class FeaturePhoneHandset extends Handset {
  #tid = 1;

  idOf(name: string): string {
    return `wv:${name}`;
  }

  protected nextTransactionId(): string {
    return String(++this.#tid);
  }

  /** A new, odd ClientID each time, as the capture shows. */
  #clientId(): string {
    const noise = Array.from(
      { length: 10 },
      () => "*5bhCbPZdA_Q0Y'T["[Math.floor(Math.random() * 17)],
    )
      .join("");
    return `<ClientID><URL>${noise.replaceAll("'", "&apos;")}</URL></ClientID>`;
  }

  async login(password: string): Promise<Reply> {
    return rememberSession(
      this,
      await this.send(
        `<Login-Request><UserID>${this.idOf(this.name)}</UserID>${this.#clientId()}` +
          `<Password>${password}</Password><TimeToLive>600</TimeToLive>` +
          `<SessionCookie>MAGIC4_SESSION_COOKIE</SessionCookie></Login-Request>`,
      ),
    );
  }

  static readonly ASKED = ["FundamentalFeat", "PresenceFeat", "IMFeat"];

  async negotiate(): Promise<void> {
    const capability = await this.send(
      `<ClientCapability-Request>${this.#clientId()}<CapabilityList>` +
        `<ClientType>MOBILE_PHONE</ClientType><InitialDeliveryMethod>P</InitialDeliveryMethod>` +
        `<AcceptedContentType>text/plain; charset=utf-8</AcceptedContentType>` +
        `<AcceptedTransferEncoding>BASE64</AcceptedTransferEncoding>` +
        `<AcceptedContentLength>512</AcceptedContentLength><SupportedBearer>HTTP</SupportedBearer>` +
        `<MultiTrans>1</MultiTrans><ParserSize>16384</ParserSize>` +
        `<SupportedCIRMethod>WAPSMS</SupportedCIRMethod><ServerPollMin>20</ServerPollMin>` +
        `<DefaultLanguage>eng</DefaultLanguage></CapabilityList></ClientCapability-Request>`,
    );
    this.waiting = expectCirAgreement(
      this.profile,
      element(capability.body, "CapabilityList"),
    );
    const service = await this.send(
      `<Service-Request>${this.#clientId()}<Functions><WVCSPFeat>` +
        FeaturePhoneHandset.ASKED.map((f) => `<${f}/>`).join("") +
        `</WVCSPFeat></Functions><AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>`,
    );
    assert.ok(service.body.AllFunctions, "asked for AllFunctions");
    this.enabled = featurePhoneReading(FeaturePhoneHandset.ASKED, service.body);
  }

  async publishOnline(): Promise<void> {
    const reply = await this.send(
      `<UpdatePresence-Request><PresenceSubList ${PA11}>${qualified("OnlineStatus", "T")}` +
        `${qualified("UserAvailability", "AVAILABLE")}<StatusText><Qualifier>F</Qualifier>` +
        `<PresenceValue/></StatusText></PresenceSubList></UpdatePresence-Request>`,
    );
    assert.equal(reply.code, 200, reply.text);
  }

  async setStatus(text: string): Promise<Reply> {
    const reply = await this.send(
      `<UpdatePresence-Request><PresenceSubList ${PA11}>${qualified("OnlineStatus", "T")}` +
        `${qualified("UserAvailability", "DISCREET")}${qualified("StatusText", text)}` +
        `</PresenceSubList></UpdatePresence-Request>`,
    );
    assert.equal(reply.code, 200, reply.text);
    return reply;
  }

  /**
   * The capture shows GetList, then ListManage and SubscribePresence of the Default list
   * (`wv:renge/Default`, no domain). Its server had made that list; here the phone makes it
   * with a 1.1 CreateList when GetList has none, and adds the contact with ListManage.
   */
  async addContact(other: Handset, nick: string): Promise<void> {
    const list = `${this.idOf(this.name)}/Default`;
    const lists = await this.send("<GetList-Request/>");
    if (lists.body.ContactList === undefined) {
      const created = await this.send(
        `<CreateList-Request><ContactList>${list}</ContactList></CreateList-Request>`,
      );
      assert.equal(created.code, 200, created.text);
    }
    const added = await this.send(
      `<ListManage-Request><ContactList>${list}</ContactList><AddNickList><NickName><Name>` +
        `${nick}</Name><UserID>${other.userId}</UserID></NickName></AddNickList>` +
        `<ReceiveList>T</ReceiveList></ListManage-Request>`,
    );
    assert.equal(added.code, 200, added.text);
    const subscribed = await this.send(
      `<SubscribePresence-Request><ContactList>${list}</ContactList><PresenceSubList ${PA11}>` +
        `<OnlineStatus/><UserAvailability/><StatusText/></PresenceSubList>` +
        `</SubscribePresence-Request>`,
    );
    assert.equal(subscribed.code, 200, subscribed.text);
  }

  /** 1.1 reactive authorisation: it accepts the PresenceAuth-Request (see onServerRequest). */
  async allowToWatch(_other: Handset): Promise<void> {}

  protected override acknowledgement(_tx: CspTransaction): string {
    return "<Status><Result><Code>200</Code></Result></Status>";
  }

  protected override async onServerRequest(tx: CspTransaction): Promise<void> {
    if (tx.primitive.name !== "PresenceAuth-Request") return;
    const reply = await this.send(
      `<PresenceAuth-User><UserID>${tx.primitive.body.UserID}</UserID>` +
        `<Acceptance>T</Acceptance></PresenceAuth-User>`,
    );
    assert.equal(reply.code, 200, reply.text);
  }

  async sendText(to: Handset, text: string): Promise<Reply> {
    return await this.send(
      `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo>` +
        `<ContentType>text/plain; charset=utf-8</ContentType><ContentEncoding>None` +
        `</ContentEncoding><ContentSize>${new TextEncoder().encode(text).length}</ContentSize>` +
        `<Recipient><User><UserID>${to.userId}</UserID></User></Recipient><Sender><User>` +
        `<UserID>${this.idOf(this.name)}</UserID></User></Sender></MessageInfo>` +
        `<ContentData>${text}</ContentData></SendMessage-Request>`,
    );
  }

  async joinGroup(groupId: string): Promise<Reply> {
    return await this.send(
      `<JoinGroup-Request><GroupID>${groupId}</GroupID><JoinedRequest>T</JoinedRequest>` +
        `</JoinGroup-Request>`,
    );
  }

  async keepAlive(): Promise<Reply> {
    return await this.send("<KeepAlive-Request><TimeToLive>10</TimeToLive></KeepAlive-Request>");
  }
}

export const ANDROID: HandsetProfile = {
  id: "android-1.2",
  engine: "Android IMPS engine",
  version: "1.2",
  nativeEncoding: "wbxml",
  login: "4-way digest, MD5 and SHA offered",
  cirMethods: ["STCP", "SSMS", "SHTTP"],
  polling: { initialSeconds: 30, stepSeconds: 0, maxSeconds: 30 },
  make: (name, transport, domain) => new AndroidHandset(ANDROID, name, transport, domain),
};

const nokia = (version: CspVersion): HandsetProfile => {
  const profile: HandsetProfile = {
    id: `nokia-s60-${version}`,
    engine: "Nokia S60 IMPS engine",
    version,
    nativeEncoding: "wbxml",
    login: "4-way digest, MD5 only (password if the server answers PWD)",
    cirMethods: ["WAPSMS", "WAPUDP", "STCP", "SUDP"],
    polling: { initialSeconds: 8, stepSeconds: 10, maxSeconds: 90 },
    make: (name, transport, domain) => new NokiaHandset(profile, name, transport, domain),
  };
  return profile;
};

export const NOKIA_12 = nokia("1.2");
export const NOKIA_11 = nokia("1.1");

export const FEATURE_PHONE: HandsetProfile = {
  id: "featurephone-1.1",
  engine: "CSP 1.1 feature phone (Magic4)",
  version: "1.1",
  nativeEncoding: "xml",
  login: "password, user id without a domain",
  cirMethods: ["WAPSMS"],
  polling: { initialSeconds: 20, stepSeconds: 0, maxSeconds: 20 },
  make: (name, transport, domain) =>
    new FeaturePhoneHandset(FEATURE_PHONE, name, transport, domain),
};

export const PROFILES = [ANDROID, NOKIA_12, NOKIA_11, FEATURE_PHONE];
