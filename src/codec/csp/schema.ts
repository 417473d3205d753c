/**
 * Content models of the CSP 1.1–1.3 elements: value kind, child order and which children repeat.
 * One model per element name covers all versions (version-specific children are simply optional),
 * so a message of any version decodes with the same table. Sources: Baraza `cspmessages.def`,
 * the CSP 1.1 spec examples and the digest (§2, §7); orders follow the examples where they exist.
 */

/**
 * `text`: string; `integer`: number when canonical decimal; `boolean`: T/F; `container`: object
 * keyed by child name; `empty`: an element without content, decoded as `{}`.
 */
export type ValueKind = "text" | "integer" | "boolean" | "container" | "empty";

export interface ElementModel {
  readonly name: string;
  readonly kind: ValueKind;
  /** Children in canonical (encoding) order. A text element may have some too (1.3 forms). */
  readonly children: readonly ChildSpec[];
  readonly childByName: ReadonlyMap<string, ChildSpec>;
  /** The children in the order CSP 1.1 writes them, where that differs from `children`. */
  readonly children11?: readonly ChildSpec[];
  /** Text kept exactly as sent, not trimmed: message content, where whitespace is meaning. */
  readonly verbatim?: boolean;
}

export interface ChildSpec {
  readonly name: string;
  /** Repeating children always decode to arrays. */
  readonly repeat: boolean;
  /** The child's own model; a parent may override the global one (e.g. `CommC/Status` is text). */
  readonly model: ElementModel;
}

const TEXT = `
  UserID ApplicationID DigestSchema DigestBytes SessionID SessionCookie Description SessionType
  TransactionMode TransactionID SessionNSName TransactionNSName PresenceAttributeNSName URL MSISDN
  Password Nonce ContentType ContentData ContentEncoding SName Name Value ContentName Size Style
  Color DateTime DeliveryTime ExtBlockETEM DeliveryMethod ExtendConversationID SubscribeType
  NotificationType AdvancedCriteria SearchElement SearchString SearchID InviteID InviteType
  InviteNote ResponseNote Domain SystemMessageID SystemMessageText AnswerOptionText InText
  VerificationKey WatcherStatus FriendlyName GroupID MessageID MessageURI ContactList
  DefaultContactList UnrecognizedUserID ValidUserID AcceptedTransferEncoding CIRSMSAddress
  ClientType ContentPolicy DefaultLanguage InitialDeliveryMethod OfflineETEMHandling
  OnlineETEMHandling SupportedBearer SupportedOfflineBearer SupportedCIRMethod TCPAddress
  UDPAddress SegmentContent ExtBlock ExtendedData
  PresenceValue DevManufacturer ClientProducer Model ClientVersion Language ClientIMPriority Zone
  Longitude Latitude Altitude Accuracy Country City Street Crossing1 Crossing2 Building NamedArea
  Cap Contact Note PrefC Caddr Cstatus Cname Cpriority DirectContent ReferredContent
  PreferredContent ContainedvCard ReferredvCard PreferredvCard Link Text MaxPullLength
  MaxPushLength ReactiveAuthState
`;

/** The opaque-integer elements of the WBXML tables (AOSP 1.3 list plus libwbxml's 1.1/1.2 extras). */
const INTEGER = `
  Code TimeToLive KeepAliveTime ContentSize Validity MessageCount MessageTotalCount
  GroupContentLimit PairID SearchLimit SearchIndex SearchFindings TryAgainTimeout AnswerOptionID
  ChosenOptionID HistoryPeriod MaxWatcherList WatcherCount SessionPriority SegmentCount
  SegmentReference AcceptedCharset AcceptedContentLength AcceptedPullLength AcceptedPushLength
  AcceptedRichContentLength AcceptedTextContentLength ContentPolicyLimit MultiTrans
  MultiTransPerMessage PlainTextCharset ParserSize ServerPollMin TCPPort UDPPort UserSessionLimit
`;

const BOOLEAN = `
  Poll CIR AllFunctionsRequest CapabilityRequest DeliveryReport BlockListInUse GrantListInUse InUse
  JoinGroup SubscribeNotification JoinedRequest ClearPublicProfile CompletionFlag Acceptance
  AutoSubscribe DefaultNotify UserNotify ContactListNotify RequiresResponse DefaultList ReceiveList
  AuthorizeAndGrant AnyContent Qualifier
`;

/** Service-tree leaves (an empty element means "this function") and content-free primitives. */
const EMPTY = `
  GETSPI GETMAP SGMNT SRCH ADVSR STSRC INVIT CAINV VRID GCLI CCLI DCLI MCLS GETWL REACT CAAUT
  GETAUT GETPR UPDPR CALI DALI GALS MDELIV FWMSG SETD GETLM GETM REJCM NOTIF NEWM OFFNOTIF GLBLU
  BLENT CREAG DELGR GETGP SETGP SUBGCN GRCHN EXCON GETGM ADDGM RMVGM MBRAC REJEC GETJU MF MP MM MG
  Polling-Request Logout-Request GetList-Request GetBlockedList-Request
`;

/** Text elements whose whitespace belongs to the value (message bodies), so never trimmed. */
const VERBATIM = new Set(["ContentData"]);

/** Plain text up to 1.2, structured in 1.3 (`AcceptedContentType{ContentType, …}`). */
const TEXT_WITH_CHILDREN: Record<string, string> = {
  AcceptedContentType: "ContentType AcceptedRichContentLength ContentPolicy ContentPolicyLimit",
};

const CAPABILITIES = "ClientType InitialDeliveryMethod AnyContent AcceptedContentType* " +
  "AcceptedCharset* AcceptedContentLength AcceptedPullLength AcceptedPushLength " +
  "AcceptedTextContentLength AcceptedTransferEncoding* CIRHTTPAddress CIRURL CIRSMSAddress " +
  "ParserSize MultiTrans MultiTransPerMessage OfflineETEMHandling OnlineETEMHandling " +
  "PlainTextCharset* ServerPollMin SupportedBearer* SupportedOfflineBearer* SupportedCIRMethod* " +
  "TCPAddress TCPPort UDPAddress UDPPort DefaultLanguage SessionPriority UserSessionLimit";

/** `Name*` repeats; `Name:kind` overrides the child's global model in this parent. */
const CONTAINERS: Record<string, string> = {
  // Generic and common data
  Status: "Result ClientID",
  Result: "Code Description DetailedResult* SystemMessageList TryAgainTimeout",
  DetailedResult:
    "Code Description UserID* GroupID* ScreenName* MessageID* ContactList* Domain* SearchElement*",
  ClientID: "URL MSISDN",
  User: "UserID FriendlyName ApplicationID ClientID",
  Group: "GroupID ScreenName",
  ScreenName: "SName GroupID",
  Sender: "User Group",
  Recipient: "User* Group* ContactList*",
  UserList: "User* ScreenName*",
  UserIDList: "UserID*",
  GroupList: "GroupID*",
  ContactListIDList: "ContactList*",
  URLList: "URL*",
  IDList: "UserID* ContactList* GroupID* ScreenName* Domain*",
  Property: "Name Value",
  Logo: "ContentType ContentSize ContentEncoding ContentData",
  Map: "ContentType ContentEncoding ContentData",
  WelcomeNote: "ContentType ContentEncoding ContentData",
  SegmentInfo: "SegmentCount SegmentID",
  SegmentID: "TransactionID SegmentReference",
  UserIDPair: "UnrecognizedUserID ValidUserID",

  // Session management
  "Login-Request": "UserID ClientID ApplicationID Password DigestBytes DigestSchema* SessionID " +
    "TimeToLive SessionCookie SystemMessageResponseList Functions CapabilityList",
  "Login-Response": "UserID ClientID Result Nonce DigestSchema SessionID KeepAliveTime " +
    "CapabilityRequest Functions AgreedCapabilityList",
  Disconnect: "Result",
  "KeepAlive-Request": "TimeToLive",
  "KeepAlive-Response": "Result KeepAliveTime",
  "GetSPInfo-Request": "ClientID",
  "GetSPInfo-Response": "ClientID Name Logo Description URL",
  "Service-Request": "ClientID Functions AllFunctionsRequest",
  "Service-Response": "ClientID Functions AllFunctions",
  "ClientCapability-Request": "ClientID CapabilityList",
  "ClientCapability-Response": "ClientID CapabilityList AgreedCapabilityList",
  "WV-CSP-VersionDiscovery-Request": "VersionList ExtendedData*",
  "WV-CSP-VersionDiscovery-Response": "VersionList OtherServer* ExtendedData*",
  VersionList: "SessionNSName* TransactionNSName* PresenceAttributeNSName*",
  OtherServer: "URL MSISDN",
  "GetSegment-Request": "SegmentID",
  "GetSegment-Response": "SegmentContent",
  "DropSegment-Request": "SegmentID",
  "SystemMessage-Request": "SystemMessageList",
  "SystemMessage-User": "SystemMessageResponseList",
  SystemMessageList: "SystemMessage*",
  SystemMessage:
    "SystemMessageID RequiresResponse SystemMessageText AnswerOptions VerificationMechanism",
  AnswerOptions: "AnswerOption*",
  AnswerOption: "AnswerOptionID AnswerOptionText",
  VerificationMechanism: "InText URL",
  SystemMessageResponseList: "SystemMessageResponse*",
  SystemMessageResponse: "SystemMessageID ChosenOptionID VerificationKey",
  // Free content under its own namespace: everything inside is kept generically.
  "Extended-Request": "",
  "Extended-Response": "",

  // Service negotiation tree
  Functions: "WVCSPFeat",
  AllFunctions: "WVCSPFeat",
  WVCSPFeat: "FundamentalFeat PresenceFeat IMFeat GroupFeat",
  FundamentalFeat: "MF ServiceFunc SearchFunc InviteFunc VerifyIDFunc",
  PresenceFeat: "MP ContListFunc PresenceAuthFunc PresenceDeliverFunc AttListFunc",
  IMFeat: "MM IMSendFunc IMReceiveFunc IMAuthFunc",
  GroupFeat: "MG GroupMgmtFunc GroupUseFunc GroupAuthFunc",
  ServiceFunc: "GETSPI GETMAP SGMNT",
  SearchFunc: "SRCH ADVSR STSRC",
  InviteFunc: "INVIT CAINV",
  VerifyIDFunc: "VRID",
  ContListFunc: "GCLI CCLI DCLI MCLS",
  PresenceAuthFunc: "GETWL REACT CAAUT GETAUT",
  PresenceDeliverFunc: "GETPR UPDPR",
  AttListFunc: "CALI DALI GALS",
  IMSendFunc: "MDELIV FWMSG",
  IMReceiveFunc: "SETD GETLM GETM REJCM NOTIF NEWM OFFNOTIF",
  IMAuthFunc: "GLBLU BLENT",
  GroupMgmtFunc: "CREAG DELGR GETGP SETGP",
  GroupUseFunc: "SUBGCN GRCHN EXCON",
  GroupAuthFunc: "GETGM ADDGM RMVGM MBRAC REJEC GETJU",

  // Client capabilities (1.1 answers with CapabilityList, 1.2+ with AgreedCapabilityList). The
  // order merges the 1.2/1.3 requests of the Baraza corpus with Baraza's own answers; 1.1 has its
  // own order (CHILD_ORDER_1_1).
  CapabilityList: CAPABILITIES,
  AgreedCapabilityList: CAPABILITIES,
  CIRHTTPAddress: "URL",
  CIRURL: "URL",

  // Search, invitations, blocking, verification, profile, notifications
  "Search-Request": "SearchPairList* AdvancedCriteria SearchLimit SearchID SearchIndex",
  // 1.1/1.2 carry one pair per list; 1.3 wraps several in SearchPair (token 0A/17).
  SearchPairList: "SearchElement SearchString SearchPair*",
  SearchPair: "SearchElement SearchString PairID",
  "Search-Response": "SearchID SearchFindings CompletionFlag SearchIndex SearchResult",
  SearchResult: "UserList GroupList",
  "StopSearch-Request": "SearchID",
  "Invite-Request": "InviteID InviteType Sender Recipient ApplicationID GroupID PresenceSubList " +
    "URLList InviteNote ScreenName Validity",
  "InviteUser-Request": "InviteID InviteType Sender Recipient ApplicationID GroupID " +
    "PresenceSubList URLList InviteNote ScreenName Validity",
  "Invite-Response": "InviteID Acceptance Sender Recipient InviteNote ResponseNote ScreenName",
  "InviteUser-Response": "InviteID Acceptance Sender Recipient ResponseNote ScreenName",
  "CancelInvite-Request": "InviteID Sender Recipient InviteNote ApplicationID GroupID " +
    "PresenceSubList URLList ScreenName",
  "CancelInviteUser-Request": "InviteID Sender Recipient InviteNote ApplicationID GroupID " +
    "PresenceSubList URLList ScreenName",
  "GetBlockedList-Response": "BlockList BlockListInUse GrantList GrantListInUse",
  "BlockEntity-Request": "BlockList BlockListInUse GrantList GrantListInUse",
  "BlockUser-Request": "BlockList BlockListInUse GrantList GrantListInUse",
  BlockList: "InUse EntityList AddList RemoveList",
  GrantList: "InUse EntityList AddList RemoveList",
  EntityList: "UserID* ScreenName* GroupID* ContactList* ApplicationID*",
  AddList: "UserID* ScreenName* GroupID* ContactList* ApplicationID* UserList",
  RemoveList: "UserID* ScreenName* GroupID* ContactList* ApplicationID* UserList",
  "VerifyID-Request": "IDList",
  "GetPublicProfile-Request": "UserID*",
  "GetPublicProfile-Response": "Result PublicProfile*",
  "UpdatePublicProfile-Request": "ClearPublicProfile PublicProfile",
  PublicProfile: "UserID Property*",
  "GetMap-Request": "UserID PresenceSubList",
  "GetMap-Response": "Map URL",
  "SubscribeNotification-Request": "NotificationTypeList",
  "UnsubscribeNotification-Request": "NotificationTypeList",
  NotificationTypeList: "NotificationType*",
  "Notification-Request": "NotificationType BlockListInUse GrantListInUse GroupID " +
    "ContactListIDList InviteID OnlineETEMHandling PresenceSubList UserIDList DefaultList " +
    "SessionPriority UserList UserIDPair",

  // Presence: contact lists, attribute lists, subscription, authorisation
  "GetList-Response": "ContactListIDList ContactList* DefaultContactList",
  "CreateList-Request": "ContactList NickList ContactListProperties",
  "CreateList-Response": "ContactList ContactListProperties",
  "DeleteList-Request": "ContactList",
  NickList: "NickName* UserID*",
  AddNickList: "NickName* UserID*",
  RemoveNickList: "UserID*",
  NickName: "Name UserID",
  ContactListProperties: "Property*",
  "ListManage-Request":
    "ContactList AddNickList RemoveNickList ContactListProperties ReceiveList AuthorizeAndGrant",
  "ListManage-Response": "Result NickList ContactListProperties",
  "CreateAttributeList-Request": "PresenceSubList UserIDList UserID* ContactListIDList " +
    "ContactList* DefaultList DefaultNotify UserNotify ContactListNotify",
  "DeleteAttributeList-Request": "UserIDList UserID* ContactListIDList ContactList* DefaultList",
  "GetAttributeList-Request": "UserIDList UserID* ContactListIDList ContactList* DefaultList",
  "GetAttributeList-Response": "Result DefaultAttributeList Presence*",
  DefaultAttributeList: "DefaultNotify PresenceSubList",
  "SubscribePresence-Request":
    "UserIDList User* ContactListIDList ContactList* PresenceSubList AutoSubscribe",
  "UnsubscribePresence-Request": "UserIDList User* ContactListIDList ContactList*",
  "GetPresence-Request": "UserIDList User* ContactListIDList ContactList* PresenceSubList",
  "GetPresence-Response": "Result Presence*",
  "UpdatePresence-Request": "PresenceSubList",
  "PresenceNotification-Request": "Presence*",
  "GetWatcherList-Request": "HistoryPeriod MaxWatcherList",
  "GetWatcherList-Response": "HistoryPeriod WatcherCount Watcher* User*",
  Watcher: "UserID User FriendlyName WatcherStatus",
  "PresenceAuth-Request": "UserID PresenceSubList",
  "PresenceAuth-User": "UserID Acceptance PresenceSubList",
  "CancelAuth-Request": "UserID",
  // 1.2 only; the children of these were not found in any source, so they are kept generically.
  "GetReactiveAuthStatus-Request": "",
  "GetReactiveAuthStatus-Response": "Result ReactiveAuthStatusList",
  ReactiveAuthStatusList: "ReactiveAuthStatus*",
  ReactiveAuthStatus: "",
  Presence: "UserID UserNotify ContactList ContactListNotify PresenceSubList*",

  // Presence attributes (digest §7); per-client attributes repeat from 1.2 on
  PresenceSubList: "OnlineStatus* Registration* ClientInfo* TimeZone* GeoLocation* Address* " +
    "FreeTextLocation* PLMN* CommCap* UserAvailability PreferredContacts PreferredLanguage " +
    "StatusText StatusMood Alias StatusContent ContactInfo InfoLink",
  OnlineStatus: "Qualifier PresenceValue ClientID",
  Registration: "Qualifier PresenceValue ClientID",
  FreeTextLocation: "Qualifier PresenceValue ClientID",
  PLMN: "Qualifier PresenceValue ClientID",
  UserAvailability: "Qualifier PresenceValue",
  PreferredLanguage: "Qualifier PresenceValue",
  StatusText: "Qualifier PresenceValue",
  StatusMood: "Qualifier PresenceValue",
  Alias: "Qualifier PresenceValue",
  TimeZone: "Qualifier Zone ClientID",
  ClientInfo: "Qualifier ClientContentLimit ClientType DevManufacturer ClientProducer Model " +
    "ClientVersion Language ClientIMPriority ApplicationID ClientID",
  ClientContentLimit: "AcceptedContentType* AnyContent AcceptedTextContentLength " +
    "AcceptedTransferEncoding* MaxPullLength MaxPushLength PlainTextCharset*",
  GeoLocation: "Qualifier Longitude Latitude Altitude Accuracy ClientID",
  Address: "Qualifier Country City Street Crossing1 Crossing2 Building NamedArea",
  CommCap: "Qualifier CommC* ClientID",
  CommC: "Cap Status:text Contact Note",
  PreferredContacts: "Qualifier AddrPref*",
  AddrPref: "PrefC Caddr Cstatus Cname Cpriority",
  StatusContent: "Qualifier DirectContent ReferredContent PreferredContent ContentType",
  ContactInfo: "Qualifier ContainedvCard ReferredvCard PreferredvCard",
  InfoLink: "Qualifier Inf_link*",
  Inf_link: "Link Text ContentType",

  // Instant messaging
  "SendMessage-Request": "DeliveryReport MessageInfo ContentData",
  "SendMessage-Response": "Result MessageID",
  MessageInfo: "MessageID MessageURI ContentType ContentEncoding ContentSize ContentName " +
    "Recipient Sender DateTime Font Validity ExtBlockETEM*",
  Font: "Size Style* Color",
  "SetDeliveryMethod-Request": "DeliveryMethod AcceptedContentLength GroupID GroupContentLimit",
  "GetMessageList-Request": "GroupID MessageCount",
  "GetMessageList-Response": "MessageInfoList MessageInfo* MessageTotalCount",
  MessageInfoList: "MessageInfo*",
  "RejectMessage-Request": "MessageID*",
  NewMessage: "MessageInfo ContentData",
  MessageDelivered: "MessageID",
  MessageNotification: "MessageInfo",
  "GetMessage-Request": "MessageID",
  "GetMessage-Response": "MessageInfo ContentData",
  "DeliveryReport-Request": "Result DeliveryTime MessageInfo",
  "ForwardMessage-Request": "MessageID Sender Recipient",
  "ForwardMessage-Response": "MessageID",
  "ExtendConversation-Request": "ExtendConversationID UserIDList ExtendConversationUser " +
    "SubscribeNotification WelcomeNote ScreenName",
  "ExtendConversation-Response": "ExtendConversationID GroupID ResponseNote Result",
  ExtendConversationUser: "UserID ClientID",

  // Groups
  "CreateGroup-Request":
    "GroupID GroupProperties OwnProperties JoinGroup ScreenName SubscribeNotification",
  GroupProperties: "Property* WelcomeNote",
  OwnProperties: "Property*",
  "DeleteGroup-Request": "GroupID",
  "JoinGroup-Request": "GroupID ScreenName JoinedRequest SubscribeNotification OwnProperties",
  "JoinGroup-Response": "Joined ScreenName UserList UserMapList WelcomeNote",
  "LeaveGroup-Request": "GroupID",
  "LeaveGroup-Response": "GroupID Result",
  "GetGroupMembers-Request": "GroupID",
  "GetGroupMembers-Response": "Admin Mod UserList",
  Admin: "UserList",
  Mod: "UserList",
  "GetJoinedUsers-Request": "GroupID",
  "GetJoinedUsers-Response": "AdminMapList UserMapList JoinedBlocked",
  AdminMapList: "AdminMapping ModMapping UserMapping",
  UserMapList: "UserMapping",
  AdminMapping: "Mapping*",
  ModMapping: "Mapping*",
  UserMapping: "Mapping*",
  Mapping: "SName UserID",
  "AddGroupMembers-Request": "GroupID UserList UserIDList",
  "RemoveGroupMembers-Request": "GroupID UserList UserIDList",
  "MemberAccess-Request": "GroupID Admin Mod UserList",
  "GetGroupProps-Request": "GroupID",
  "GetGroupProps-Response": "GroupProperties OwnProperties",
  "SetGroupProps-Request": "GroupID GroupProperties OwnProperties",
  "RejectList-Request": "GroupID AddList RemoveList",
  "RejectList-Response": "UserList",
  "SubscribeGroupNotice-Request": "GroupID SubscribeType",
  "SubscribeGroupNotice-Response": "Value",
  GroupChangeNotice: "GroupID Joined Left JoinedBlocked LeftBlocked GroupProperties OwnProperties",
  Joined: "UserMapList UserList",
  Left: "UserList",
  JoinedBlocked: "UserList",
  LeftBlocked: "UserList",
};

/** Where CSP 1.1 orders children differently (the spec examples wv-011, wv-012). */
const CHILD_ORDER_1_1: Record<string, string> = {
  CapabilityList: "ClientType InitialDeliveryMethod AcceptedContentType AcceptedCharset " +
    "AcceptedTransferEncoding AcceptedContentLength SupportedBearer MultiTrans ParserSize " +
    "SupportedCIRMethod UDPPort TCPAddress TCPPort ServerPollMin AnyContent AcceptedPullLength " +
    "AcceptedPushLength AcceptedTextContentLength CIRHTTPAddress CIRURL CIRSMSAddress " +
    "MultiTransPerMessage OfflineETEMHandling OnlineETEMHandling PlainTextCharset " +
    "SupportedOfflineBearer UDPAddress DefaultLanguage SessionPriority UserSessionLimit",
};

/** Every element that may be the one child of `TransactionContent`. */
const PRIMITIVE_NAMES = `
  Status Polling-Request Login-Request Login-Response Logout-Request Disconnect KeepAlive-Request
  KeepAlive-Response GetSPInfo-Request GetSPInfo-Response Service-Request Service-Response
  ClientCapability-Request ClientCapability-Response WV-CSP-VersionDiscovery-Request
  WV-CSP-VersionDiscovery-Response GetSegment-Request GetSegment-Response DropSegment-Request
  SystemMessage-Request SystemMessage-User Extended-Request Extended-Response
  Search-Request Search-Response StopSearch-Request Invite-Request Invite-Response
  InviteUser-Request InviteUser-Response CancelInvite-Request CancelInviteUser-Request
  GetBlockedList-Request GetBlockedList-Response BlockEntity-Request BlockUser-Request
  VerifyID-Request GetPublicProfile-Request GetPublicProfile-Response UpdatePublicProfile-Request
  GetMap-Request GetMap-Response SubscribeNotification-Request UnsubscribeNotification-Request
  Notification-Request
  GetList-Request GetList-Response CreateList-Request CreateList-Response DeleteList-Request
  ListManage-Request ListManage-Response CreateAttributeList-Request DeleteAttributeList-Request
  GetAttributeList-Request GetAttributeList-Response SubscribePresence-Request
  UnsubscribePresence-Request GetPresence-Request GetPresence-Response UpdatePresence-Request
  PresenceNotification-Request GetWatcherList-Request GetWatcherList-Response
  PresenceAuth-Request PresenceAuth-User CancelAuth-Request GetReactiveAuthStatus-Request
  GetReactiveAuthStatus-Response
  SendMessage-Request SendMessage-Response SetDeliveryMethod-Request GetMessageList-Request
  GetMessageList-Response RejectMessage-Request NewMessage MessageDelivered MessageNotification
  GetMessage-Request GetMessage-Response DeliveryReport-Request ForwardMessage-Request
  ForwardMessage-Response ExtendConversation-Request ExtendConversation-Response
  CreateGroup-Request DeleteGroup-Request JoinGroup-Request JoinGroup-Response LeaveGroup-Request
  LeaveGroup-Response GetGroupMembers-Request GetGroupMembers-Response GetJoinedUsers-Request
  GetJoinedUsers-Response AddGroupMembers-Request RemoveGroupMembers-Request MemberAccess-Request
  GetGroupProps-Request GetGroupProps-Response SetGroupProps-Request RejectList-Request
  RejectList-Response SubscribeGroupNotice-Request SubscribeGroupNotice-Response GroupChangeNotice
`;

const words = (list: string) => list.split(/\s+/).filter((word) => word !== "");

const PRIMITIVES: ReadonlySet<string> = new Set(words(PRIMITIVE_NAMES));
const MODELS = buildModels();

/** The content model of an element, or undefined for an element the schema does not know. */
export function elementModel(name: string): ElementModel | undefined {
  return MODELS.get(name);
}

/** True when `name` is a CSP primitive (a child of `TransactionContent`) of any version. */
export function isKnownPrimitive(name: string): boolean {
  return PRIMITIVES.has(name);
}

interface MutableModel {
  name: string;
  kind: ValueKind;
  children: ChildSpec[];
  childByName: Map<string, ChildSpec>;
  children11?: ChildSpec[];
  verbatim?: boolean;
}

function buildModels(): Map<string, ElementModel> {
  const models = new Map<string, MutableModel>();
  const declare = (name: string, kind: ValueKind) => {
    if (models.has(name)) throw new Error(`CSP schema: ${name} declared twice`);
    const model: MutableModel = { name, kind, children: [], childByName: new Map() };
    if (VERBATIM.has(name)) model.verbatim = true;
    models.set(name, model);
    return model;
  };
  for (const name of words(TEXT)) declare(name, "text");
  for (const name of words(INTEGER)) declare(name, "integer");
  for (const name of words(BOOLEAN)) declare(name, "boolean");
  for (const name of words(EMPTY)) declare(name, "empty");
  const structured = { ...TEXT_WITH_CHILDREN, ...CONTAINERS };
  for (const name of Object.keys(TEXT_WITH_CHILDREN)) declare(name, "text");
  for (const name of Object.keys(CONTAINERS)) declare(name, "container");

  for (const [parentName, childList] of Object.entries(structured)) {
    const parent = models.get(parentName)!;
    for (const word of words(childList)) {
      const [token, localKind] = word.split(":") as [string, ValueKind | undefined];
      const repeat = token.endsWith("*");
      const name = repeat ? token.slice(0, -1) : token;
      const model = localKind
        ? { name, kind: localKind, children: [], childByName: new Map() }
        : models.get(name);
      if (!model) throw new Error(`CSP schema: ${parentName} refers to unknown ${name}`);
      const spec: ChildSpec = { name, repeat, model };
      parent.children.push(spec);
      parent.childByName.set(name, spec);
    }
  }
  for (const [name, order] of Object.entries(CHILD_ORDER_1_1)) {
    const model = models.get(name)!;
    const names = words(order);
    if (names.length !== model.children.length || names.some((n) => !model.childByName.has(n))) {
      throw new Error(`CSP schema: the 1.1 order of ${name} does not list the same children`);
    }
    model.children11 = names.map((child) => model.childByName.get(child)!);
  }
  for (const name of PRIMITIVES) {
    if (!models.has(name)) throw new Error(`CSP schema: primitive ${name} has no model`);
  }
  return models;
}
