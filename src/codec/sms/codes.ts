/**
 * The codes of the SMS binding. Those marked AOSP are the Android engine's (`PtsCodes.java`);
 * the standard's text (WV-046) is not public, so the rest are this server's: two-letter codes
 * for every other primitive (a response's code is its request's reversed, as AOSP pairs them),
 * and codes for the elements an SMS carries most. An element without a code is written under its
 * own name, which the reader takes back.
 */

/** Transaction codes: every primitive has one, as the preamble needs it. */
const TRANSACTIONS: Record<string, string> = {
  // AOSP
  "Login-Request": "LR",
  "Login-Response": "RL",
  "Logout-Request": "OR",
  Disconnect: "DI",
  "KeepAlive-Request": "KA",
  "KeepAlive-Response": "AK",
  "ClientCapability-Request": "CP",
  "ClientCapability-Response": "PC",
  "Service-Request": "SQ",
  "Service-Response": "QS",
  "Polling-Request": "PO",
  Status: "ST",
  "GetList-Request": "GL",
  "GetList-Response": "LG",
  "CreateList-Request": "CL",
  "DeleteList-Request": "DL",
  "ListManage-Request": "LM",
  "ListManage-Response": "ML",
  "GetPresence-Request": "GP",
  "GetPresence-Response": "PG",
  "SubscribePresence-Request": "SB",
  "GetBlockedList-Request": "GB",
  "CreateAttributeList-Request": "CA",
  "UpdatePresence-Request": "UP",
  "PresenceNotification-Request": "PN",
  // This server's
  "GetSPInfo-Request": "GI",
  "GetSPInfo-Response": "IG",
  "WV-CSP-VersionDiscovery-Request": "VD",
  "WV-CSP-VersionDiscovery-Response": "DV",
  "GetSegment-Request": "GS",
  "GetSegment-Response": "SG",
  "DropSegment-Request": "DS",
  "SystemMessage-Request": "YM",
  "SystemMessage-User": "YU",
  "Extended-Request": "XR",
  "Extended-Response": "RX",
  "Search-Request": "SR",
  "Search-Response": "RS",
  "StopSearch-Request": "SS",
  "Invite-Request": "IR",
  "Invite-Response": "RI",
  "InviteUser-Request": "IU",
  "InviteUser-Response": "UI",
  "CancelInvite-Request": "CI",
  "CancelInviteUser-Request": "CU",
  "GetBlockedList-Response": "BG",
  "BlockEntity-Request": "BE",
  "BlockUser-Request": "BU",
  "VerifyID-Request": "VI",
  "GetPublicProfile-Request": "GF",
  "GetPublicProfile-Response": "FG",
  "UpdatePublicProfile-Request": "UF",
  "GetMap-Request": "MP",
  "GetMap-Response": "PM",
  "SubscribeNotification-Request": "SN",
  "UnsubscribeNotification-Request": "UN",
  "Notification-Request": "NR",
  "CreateList-Response": "LC",
  "DeleteAttributeList-Request": "DA",
  "GetAttributeList-Request": "GA",
  "GetAttributeList-Response": "AG",
  "UnsubscribePresence-Request": "US",
  "GetWatcherList-Request": "GW",
  "GetWatcherList-Response": "WG",
  "PresenceAuth-Request": "PA",
  "PresenceAuth-User": "AU",
  "CancelAuth-Request": "AC",
  "GetReactiveAuthStatus-Request": "RA",
  "GetReactiveAuthStatus-Response": "AR",
  "SendMessage-Request": "SM",
  "SendMessage-Response": "MS",
  "SetDeliveryMethod-Request": "SD",
  "GetMessageList-Request": "MQ",
  "GetMessageList-Response": "QM",
  "RejectMessage-Request": "RM",
  NewMessage: "NM",
  MessageDelivered: "MD",
  MessageNotification: "MN",
  "GetMessage-Request": "GM",
  "GetMessage-Response": "MG",
  "DeliveryReport-Request": "DR",
  "ForwardMessage-Request": "FM",
  "ForwardMessage-Response": "MF",
  "ExtendConversation-Request": "EC",
  "ExtendConversation-Response": "CE",
  "CreateGroup-Request": "CG",
  "DeleteGroup-Request": "DG",
  "JoinGroup-Request": "JG",
  "JoinGroup-Response": "GJ",
  "LeaveGroup-Request": "LE",
  "LeaveGroup-Response": "EL",
  "GetGroupMembers-Request": "GU",
  "GetGroupMembers-Response": "UG",
  "GetJoinedUsers-Request": "JU",
  "GetJoinedUsers-Response": "UJ",
  "AddGroupMembers-Request": "AM",
  "RemoveGroupMembers-Request": "RV",
  "MemberAccess-Request": "MA",
  "GetGroupProps-Request": "GQ",
  "GetGroupProps-Response": "QG",
  "SetGroupProps-Request": "SP",
  "RejectList-Request": "RJ",
  "RejectList-Response": "JR",
  "SubscribeGroupNotice-Request": "GN",
  "SubscribeGroupNotice-Response": "NG",
  GroupChangeNotice: "GC",
};

const PRIMITIVE_BY_CODE = new Map(Object.entries(TRANSACTIONS).map(([name, code]) => [code, name]));

export const transactionCode = (primitive: string): string | undefined => TRANSACTIONS[primitive];
export const primitiveOfCode = (code: string): string | undefined =>
  PRIMITIVE_BY_CODE.get(code.toUpperCase());

/**
 * Primitives a client sends in Response mode (the preamble cannot say): Status, its answer to
 * what the server sent. Other `-Response` primitives are the server's answers, except the two
 * an invitation's answer travels in, which open transactions of their own.
 */
export function transactionMode(primitive: string): "Request" | "Response" {
  if (primitive === "Status") return "Response";
  if (primitive === "InviteUser-Response" || primitive === "Invite-Response") return "Request";
  return primitive.endsWith("-Response") ? "Response" : "Request";
}

/**
 * Element codes. One code may name different elements in different places (AOSP reads `DL` as
 * DefaultContactList in answers, DefaultList in requests); the reader picks the element the
 * parent can hold. Where AOSP writes one element under two codes, the first is the one written
 * in requests and the second in answers.
 */
const ELEMENTS: [element: string, code: string, answerCode?: string][] = [
  // AOSP
  ["ClientID", "CI"],
  ["DigestSchema", "SH", "DI"],
  ["DigestBytes", "DB"],
  ["Password", "PW"],
  ["SessionCookie", "SC"],
  ["TimeToLive", "TL"],
  ["UserID", "UI"],
  ["User", "UI"],
  ["CapabilityList", "CA"],
  ["AgreedCapabilityList", "AP"],
  ["CapabilityRequest", "CR"],
  ["Functions", "RF", "NF"],
  ["AllFunctionsRequest", "AR"],
  ["AllFunctions", "AF"],
  ["Nonce", "NO"],
  ["KeepAliveTime", "KA"],
  ["SessionID", "SI"],
  ["Result", "ST"],
  ["ContactList", "CL"],
  ["DefaultContactList", "DC"],
  ["DefaultList", "DL"],
  ["NickList", "UN"],
  ["AddNickList", "AN"],
  ["RemoveNickList", "RN"],
  ["ContactListProperties", "CP"],
  ["ReceiveList", "RL"],
  ["PresenceSubList", "PS"],
  ["AutoSubscribe", "AS"],
  ["Presence", "PR"],
  // This server's
  ["MessageInfo", "MI"],
  ["ContentData", "CD"],
  ["ContentType", "CY"],
  ["ContentEncoding", "CE"],
  ["ContentSize", "CZ"],
  ["Recipient", "RE"],
  ["Sender", "SE"],
  ["MessageID", "MD"],
  ["DeliveryReport", "DR"],
  ["DateTime", "DT"],
  ["Validity", "VA"],
  ["Group", "GR"],
  ["GroupID", "GI"],
  ["ScreenName", "SN"],
  ["SName", "NM"],
  ["InviteID", "II"],
  ["InviteType", "IT"],
  ["InviteNote", "IN"],
  ["ResponseNote", "RO"],
  ["Acceptance", "AC"],
  ["UserList", "UL"],
  ["UserIDList", "IL"],
  ["ContactListIDList", "LL"],
  ["GroupProperties", "GP"],
  ["OwnProperties", "OP"],
  ["JoinGroup", "JN"],
  ["JoinedRequest", "JQ"],
  ["SubscribeNotification", "SO"],
  ["WelcomeNote", "WN"],
  ["DeliveryMethod", "DM"],
];

/** Codes for elements written in requests, and in answers where they differ. */
const CODE_OF = new Map<string, string>();
const ANSWER_CODE_OF = new Map<string, string>();
/** Every element a code may name. */
const ELEMENTS_OF_CODE = new Map<string, string[]>();
for (const [element, code, answerCode] of ELEMENTS) {
  CODE_OF.set(element, code);
  if (answerCode) ANSWER_CODE_OF.set(element, answerCode);
  for (const c of answerCode ? [code, answerCode] : [code]) {
    ELEMENTS_OF_CODE.set(c, [...ELEMENTS_OF_CODE.get(c) ?? [], element]);
  }
}
// AOSP reads DL in answers as DefaultContactList.
ELEMENTS_OF_CODE.get("DL")!.push("DefaultContactList");

/** The code an element is written under (its own name without one). `answer`: in a primitive
 * the server sends; PresenceSubList is UV in UpdatePresence, as AOSP writes it. */
export function elementCode(element: string, primitive: string, answer: boolean): string {
  if (element === "PresenceSubList" && primitive === "UpdatePresence-Request") return "UV";
  return (answer && ANSWER_CODE_OF.get(element)) || CODE_OF.get(element) || element;
}

/** Elements a parameter name may stand for, best guess first (case-insensitive codes). */
export function elementsOfName(name: string): string[] {
  const upper = name.toUpperCase();
  if (upper === "UV") return ["PresenceSubList"];
  return ELEMENTS_OF_CODE.get(upper) ?? [];
}

/** A two-way table of codes for one kind of thing; names without a code pass through. */
class CodeTable {
  readonly #byName: ReadonlyMap<string, string>;
  readonly #byCode: ReadonlyMap<string, string>;

  constructor(entries: Record<string, string>) {
    this.#byName = new Map(Object.entries(entries));
    this.#byCode = new Map(Object.entries(entries).map(([name, code]) => [code, name]));
  }

  code(name: string): string {
    return this.#byName.get(name) ?? name;
  }

  name(code: string): string {
    return this.#byCode.get(code.toUpperCase()) ?? code;
  }
}

/** Client capabilities (AOSP). */
export const CAPABILITY_CODES = new CodeTable({
  ClientType: "CT",
  CIRHTTPAddress: "CI",
  DefaultLanguage: "DL",
  InitialDeliveryMethod: "ID",
  MultiTrans: "MT",
  ParserSize: "PS",
  ServerPollMin: "PM",
  SupportedBearer: "SB",
  SupportedCIRMethod: "SC",
  TCPAddress: "TA",
  TCPPort: "TP",
  UDPPort: "UP",
});

/** CIR methods and client types (AOSP), coded only where the element takes them. */
const CIR_METHODS = new CodeTable({
  SSMS: "SS",
  STCP: "ST",
  SUDP: "SU",
  WAPSMS: "WS",
  WAPUDP: "WU",
});
const CLIENT_TYPES = new CodeTable({
  MOBILE_PHONE: "MP",
  COMPUTER: "CO",
  PDA: "PD",
  CLI: "CL",
  OTHER: "OT",
});

/** The features of the service tree (AOSP); functions and leaves go by their names. */
export const SERVICE_CODES = new CodeTable({
  WVCSPFeat: "WV",
  FundamentalFeat: "FF",
  PresenceFeat: "PF",
  IMFeat: "IF",
  GroupFeat: "GE",
});

/** Presence attributes and the parts of ClientInfo and StatusContent (AOSP). */
export const ATTRIBUTE_CODES = new CodeTable({
  OnlineStatus: "OS",
  ClientInfo: "CF",
  UserAvailability: "UA",
  StatusText: "ST",
  StatusContent: "SC",
  ClientType: "CT",
  ClientProducer: "CP",
  ClientVersion: "CV",
  ReferredContent: "RC",
  ContentType: "CY",
});

/** Coded values, by the element (capability or attribute) that takes them. AOSP decodes them
 * whatever the element; written only here, they never turn a status text into a code. */
const VALUE_TABLES: Record<string, CodeTable> = {
  UserAvailability: new CodeTable({ AVAILABLE: "AV", DISCREET: "DI", NOT_AVAILABLE: "NA" }),
  ClientType: CLIENT_TYPES,
  SupportedCIRMethod: CIR_METHODS,
};

export function valueCode(element: string, value: string): string {
  return VALUE_TABLES[element]?.code(value) ?? value;
}

export function valueOfCode(element: string, code: string): string {
  return VALUE_TABLES[element]?.name(code) ?? code;
}

/** Contact list properties (AOSP). */
export const PROPERTY_CODES = new CodeTable({ DisplayName: "DN", Default: "DE" });
