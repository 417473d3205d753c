/**
 * The CSP WBXML dictionaries (digest §6): tag code pages 0x00–0x0B, the xmlns attribute tokens,
 * the EXT_T_0 value tokens with the versions that define them, the elements whose content is an
 * OPAQUE integer or date, and the public identifiers. One table serves 1.1, 1.2 and 1.3: the 1.3
 * table of AOSP's `csp13_data.h` with the 1.1/1.2 tokens it dropped (libwbxml, Baraza), and the
 * few tokens whose name changed between versions resolved per version.
 */
import type { CspVersion } from "../csp/message.ts";

/** Tag names by code page, token 0x05 first; `-` marks a token no version defines. */
const PAGES = [
  // 0x00 Common
  `
    Acceptance AddList AddNickList SName WV-CSP-Message ClientID Code ContactList ContentData
    ContentEncoding ContentSize ContentType DateTime Description DetailedResult EntityList Group
    GroupID GroupList InUse Logo MessageCount MessageID MessageURI MSISDN Name NickList NickName
    Poll Presence PresenceSubList PresenceValue Property Qualifier Recipient RemoveList
    RemoveNickList Result ScreenName Sender Session SessionDescriptor SessionID SessionType Status
    Transaction TransactionContent TransactionDescriptor TransactionID TransactionMode URL URLList
    User UserID UserList Validity Value
  `,
  // 0x01 Access
  `
    AllFunctions AllFunctionsRequest CancelInvite-Request CancelInviteUser-Request Capability
    CapabilityList CapabilityRequest ClientCapability-Request ClientCapability-Response
    DigestBytes DigestSchema Disconnect Functions GetSPInfo-Request GetSPInfo-Response InviteID
    InviteNote Invite-Request Invite-Response InviteType InviteUser-Request InviteUser-Response
    KeepAlive-Request KeepAliveTime Login-Request Login-Response Logout-Request Nonce Password
    Polling-Request ResponseNote SearchElement SearchFindings SearchID SearchIndex SearchLimit
    KeepAlive-Response SearchPairList Search-Request Search-Response SearchResult Service-Request
    Service-Response SessionCookie StopSearch-Request TimeToLive SearchString CompletionFlag -
    ReceiveList VerifyID-Request Extended-Request Extended-Response AgreedCapabilityList
    ExtendedData OtherServer PresenceAttributeNSName SessionNSName TransactionNSName
  `,
  // 0x02 Service
  `
    ADDGM AttListFunc BLENT CAAUT CAINV CALI CCLI ContListFunc CREAG DALI DCLI DELGR
    FundamentalFeat FWMSG GALS GCLI GETGM GETGP GETLM GETM GETPR GETSPI GETWL GLBLU GRCHN
    GroupAuthFunc GroupFeat GroupMgmtFunc GroupUseFunc IMAuthFunc IMFeat IMReceiveFunc IMSendFunc
    INVIT InviteFunc MBRAC MCLS MDELIV NEWM NOTIF PresenceAuthFunc PresenceDeliverFunc
    PresenceFeat REACT REJCM REJEC RMVGM SearchFunc ServiceFunc SETD SETGP SRCH STSRC SUBGCN UPDPR
    WVCSPFeat MF MG MM
  `,
  // 0x03 Client capability
  `
    AcceptedCharset AcceptedContentLength AcceptedContentType AcceptedTransferEncoding AnyContent
    DefaultLanguage InitialDeliveryMethod MultiTrans ParserSize ServerPollMin SupportedBearer
    SupportedCIRMethod TCPAddress TCPPort UDPPort CIRHTTPAddress UDPAddress AcceptedPullLength
    AcceptedPushLength AcceptedRichContentLength AcceptedTextContentLength OfflineETEMHandling
    PlainTextCharset SessionPriority SupportedOfflineBearer - UserSessionLimit CIRSMSAddress
    MultiTransPerMessage OnlineETEMHandling ContentPolicy ContentPolicyLimit
  `,
  // 0x04 Presence primitive
  `
    CancelAuth-Request ContactListProperties CreateAttributeList-Request CreateList-Request
    DefaultAttributeList DefaultContactList DefaultList DeleteAttributeList-Request
    DeleteList-Request GetAttributeList-Request GetAttributeList-Response GetList-Request
    GetList-Response GetPresence-Request GetPresence-Response GetWatcherList-Request
    GetWatcherList-Response ListManage-Request ListManage-Response UnsubscribePresence-Request
    PresenceAuth-Request PresenceAuth-User PresenceNotification-Request UpdatePresence-Request
    SubscribePresence-Request AutoSubscribe GetReactiveAuthStatus-Request
    GetReactiveAuthStatus-Response CreateList-Response
  `,
  // 0x05 Presence attribute
  `
    Accuracy Address AddrPref Alias Altitude Building Caddr City ClientInfo ClientProducer
    ClientType ClientVersion CommC CommCap ContactInfo ContainedvCard Country Crossing1 Crossing2
    DevManufacturer DirectContent FreeTextLocation GeoLocation Language Latitude Longitude Model
    NamedArea OnlineStatus PLMN PrefC PreferredContacts PreferredLanguage ReferredContent
    ReferredvCard Registration StatusContent StatusMood StatusText Street TimeZone
    UserAvailability Cap Cname Contact Cpriority Cstatus Note Zone - Inf_link InfoLink Link Text
    ClientContentLimit ClientIMPriority MaxPullLength MaxPushLength
  `,
  // 0x06 Messaging
  `
    BlockList BlockEntity-Request DeliveryMethod DeliveryReport DeliveryReport-Request
    ForwardMessage-Request GetBlockedList-Request GetBlockedList-Response GetMessageList-Request
    GetMessageList-Response GetMessage-Request GetMessage-Response GrantList MessageDelivered
    MessageInfo MessageNotification NewMessage RejectMessage-Request SendMessage-Request
    SendMessage-Response SetDeliveryMethod-Request DeliveryTime - - - - - MessageInfoList
    ForwardMessage-Response
  `,
  // 0x07 Group
  `
    AddGroupMembers-Request Admin CreateGroup-Request DeleteGroup-Request GetGroupMembers-Request
    GetGroupMembers-Response GetGroupProps-Request GetGroupProps-Response GroupChangeNotice
    GroupProperties Joined JoinedRequest JoinGroup-Request JoinGroup-Response LeaveGroup-Request
    LeaveGroup-Response Left MemberAccess-Request Mod OwnProperties RejectList-Request
    RejectList-Response RemoveGroupMembers-Request SetGroupProps-Request
    SubscribeGroupNotice-Request SubscribeGroupNotice-Response Users WelcomeNote JoinGroup
    SubscribeNotification SubscribeType GetJoinedUsers-Request GetJoinedUsers-Response
    AdminMapList AdminMapping Mapping ModMapping UserMapList UserMapping JoinedBlocked LeftBlocked
  `,
  // 0x08 Service (cont.)
  `
    MP GETAUT GETJU VRID VerifyIDFunc GETMAP SGMNT EXCON OFFNOTIF ADVSR
  `,
  // 0x09 Common (cont.)
  `
    CIR Domain ExtBlock HistoryPeriod IDList MaxWatcherList ReactiveAuthState ReactiveAuthStatus
    ReactiveAuthStatusList Watcher WatcherStatus Font Size Style Color ContentName Map
    NotificationType NotificationTypeList FriendlyName ClearPublicProfile PublicProfile
    AnswerOption AnswerOptionID AnswerOptions ApplicationID AuthorizeAndGrant ChosenOptionID
    ContactListNotify DefaultNotify ExtendConversationUser InText SegmentCount SegmentID
    SegmentInfo SegmentReference SystemMessage SystemMessageID SystemMessageList
    SystemMessageResponse SystemMessageResponseList - SystemMessageText TryAgainTimeout UserNotify
    VerificationKey VerificationMechanism GetMap-Request GetMap-Response ExtendConversationID
    WatcherCount RequiresResponse ExtBlockETEM GroupContentLimit MessageTotalCount
    UnrecognizedUserID UserIDPair ValidUserID UserIDList
  `,
  // 0x0A Access (cont.)
  `
    WV-CSP-VersionDiscovery-Request WV-CSP-VersionDiscovery-Response VersionList
    SubscribeNotification-Request UnsubscribeNotification-Request Notification-Request
    AdvancedCriteria PairID GetPublicProfile-Request GetPublicProfile-Response
    UpdatePublicProfile-Request DropSegment-Request ExtendConversation-Response
    ExtendConversation-Request GetSegment-Request GetSegment-Response SystemMessage-Request
    SystemMessage-User SearchPair SegmentContent
  `,
  // 0x0B Common (cont.)
  `
    GrantListInUse BlockListInUse ContactListIDList AnswerOptionsText
  `,
];

/** Code page << 6 | token of a tag; what the tokenizers give WB_OPEN tokens as aux. */
const code = (page: number, token: number) => page << 6 | token;

/** Tokens whose name depends on the version (digest §6.4). */
const BY_VERSION: Record<CspVersion, [number, string][]> = {
  "1.1": [
    [code(0x05, 0x26), "PreferredContent"],
    [code(0x05, 0x27), "PreferredvCard"],
    [code(0x03, 0x14), "CIRURL"],
  ],
  "1.2": [[code(0x03, 0x14), "CIRURL"]],
  "1.3": [[code(0x09, 0x0b), "AnswerOptionText"]],
};

/** Other spellings of a token's name that encoders accept (libwbxml's, and other versions'). */
const ALIASES: [string, string][] = [
  // 1.1's name of BlockEntity-Request; the 1.1 spec example wv-078 already uses BlockEntity.
  ["BlockUser-Request", "BlockEntity-Request"],
  ["Extended-Data", "ExtendedData"],
  ["Auto-Subscribe", "AutoSubscribe"],
];

/** Tag names by code << 6 | token, for each version. */
export const TAG_NAMES: Readonly<Record<CspVersion, readonly (string | undefined)[]>> = (() => {
  const base: (string | undefined)[] = new Array(PAGES.length << 6).fill(undefined);
  PAGES.forEach((page, p) =>
    words(page).forEach((name, i) => {
      if (name !== "-") base[code(p, 0x05 + i)] = name;
    })
  );
  const tables = {} as Record<CspVersion, (string | undefined)[]>;
  for (const version of ["1.1", "1.2", "1.3"] as const) {
    tables[version] = [...base];
    for (const [at, name] of BY_VERSION[version]) tables[version][at] = name;
  }
  return tables;
})();

/** The last token of each code page in the 1.1/1.2 tables (libwbxml's, from the 1.1 and 1.2
 * WBXML specifications); what follows is 1.3's, and page 0x0B is 1.3's whole. */
const LAST_TOKEN_BEFORE_13 = [0x3d, 0x3f, 0x3f, 0x13, 0x20, 0x3a, 0x1a, 0x2b, 0x09, 0x0f, 0x07];

/** 1.2 tags the 1.3 table no longer has (digest §6.4, marked †). */
const REMOVED_IN_13 = new Set(words(`
  InUse Capability AttListFunc CAAUT CALI DALI GALS REACT AcceptedCharset AcceptedContentLength
  CancelAuth-Request PresenceAuth-Request PresenceAuth-User GetReactiveAuthStatus-Request
  GetReactiveAuthStatus-Response Users ReactiveAuthState ReactiveAuthStatus ReactiveAuthStatusList
`));

/**
 * Code page << 6 | token of the tags written as tokens in each version, aliases included: those
 * its table has. Any other name is written as LITERAL, which every reader can name, rather than
 * as a token a reader of that version would not know.
 */
export const TAG_CODES: Readonly<Record<CspVersion, ReadonlyMap<string, number>>> = (() => {
  const tables = {} as Record<CspVersion, Map<string, number>>;
  for (const version of ["1.1", "1.2", "1.3"] as const) {
    const codes = new Map<string, number>();
    TAG_NAMES[version].forEach((name, at) => {
      if (name === undefined) return;
      const page = at >>> 6, token = at & 0x3f;
      const defined = version === "1.3"
        ? !REMOVED_IN_13.has(name)
        : page < LAST_TOKEN_BEFORE_13.length && token <= LAST_TOKEN_BEFORE_13[page];
      if (defined) codes.set(name, at);
    });
    for (const [alias, name] of ALIASES) {
      if (codes.has(name)) codes.set(alias, codes.get(name)!);
    }
    tables[version] = codes;
  }
  return tables;
})();

/** Attribute page 0: `xmlns` with a namespace prefix; the version suffix follows as a string. */
export const XMLNS_PREFIXES: readonly (string | undefined)[] = [
  undefined,
  undefined,
  undefined,
  undefined,
  undefined,
  "http://www.wireless-village.org/CSP",
  "http://www.wireless-village.org/PA",
  "http://www.wireless-village.org/TRC",
  "http://www.openmobilealliance.org/DTD/WV-CSP",
  "http://www.openmobilealliance.org/DTD/WV-PA",
  "http://www.openmobilealliance.org/DTD/WV-TRC",
  "http://www.openmobilealliance.org/DTD/IMPS-CSP",
  "http://www.openmobilealliance.org/DTD/IMPS-PA",
  "http://www.openmobilealliance.org/DTD/IMPS-TRC",
];

/** EXT_T_0 values from 0x00, as the 1.3 table has them; `-` marks an undefined value. */
const VALUES = `
    AccessType ActiveUsers Admin application/ application/vnd.wap.mms-message application/x-sms
    AutoJoin BASE64 Closed Default DisplayName F G GR http:// https:// image/ Inband IM
    MaxActiveUsers Mod Name None N Open Outband PR Private PrivateMessaging PrivilegeLevel Public
    P Request Response Restricted ScreenName Searchable S SC text/ text/plain text/x-vCalendar
    text/x-vCard Topic T Type U US www.wireless-village.org AutoDelete GM Validity DENIED GRANTED
    PENDING ShowID RequireInvitation Tiny PPU SPA ANC GROUP_ID GROUP_NAME GROUP_TOPIC
    GROUP_USER_ID_JOINED GROUP_USER_ID_OWNER HTTP SMS STCP SUDP USER_ALIAS USER_EMAIL_ADDRESS
    USER_FIRST_NAME USER_ID USER_LAST_NAME USER_MOBILE_NUMBER USER_ONLINE_STATUS WAPSMS WAPUDP WSP
    GROUP_USER_ID_AUTOJOIN AND AC BLC BLUC CLCR CLD GC GD GLC ANU ANGRY ANXIOUS ASHAMED AUDIO_CALL
    AVAILABLE BORED CALL CLI COMPUTER DISCREET EMAIL EXCITED HAPPY AP IM_OFFLINE IM_ONLINE IN_LOVE
    INVINCIBLE JEALOUS MMS MOBILE_PHONE NOT_AVAILABLE OTHER PDA SAD SLEEPY SMS VIDEO_CALL
    VIDEO_STREAM www.openmobilealliance.org Small Medium Big Huge Bold Italic Underline Black
    Silver Gray White Maroon Red Purple Fuchsia Green Lime Olive Yellow Navy Blue Teal Aqua ATCL
    CLC - USER_CITY USER_COUNTRY USER_FRIENDLY_NAME USER_GENDER USER_INTENTION
    USER_INTERESTS_HOBBIES USER_MARITAL_STATUS PRIORITYREJECT PRIORITYSTORE REJECT SENDREJECT
    SENDSTORE IR EC GLUC IA IC SSMS SHTTP DoNotNotify GMAU GMG GMR GMU DETECT FORKALL OEU
    SERVERLOGIC PP_AGE PP_CITY PP_COUNTRY PP_FRIENDLY_NAME PP_FREE_TEXT PP_GENDER PP_INTENTION
    PP_INTERESTS PP_MARITAL_STATUS USER_AGE_MAX USER_AGE_MIN EG MinimumAge C CURRENT_SUBSCRIBER
    FORMER_SUBSCRIBER PRESENCE_ACCESS R
`;

/** 0x68 was IM (presence, 1.1; obsolete in 1.2) before 1.3 made it AP. */
const IM_BEFORE_13 = 0x68;
/** 0x3D is GROUP_ID (a search element) and, as a group property name in 1.3, History. */
export const GROUP_ID_OR_HISTORY = 0x3d;

/** EXT_T_0 value names for decoding, per version. Any defined value is read whatever the
 * version; only 0x68 means something else before 1.3. */
export const VALUE_NAMES: Readonly<Record<CspVersion, readonly (string | undefined)[]>> = (() => {
  const base = words(VALUES).map((name) => (name === "-" ? undefined : name));
  const older = [...base];
  older[IM_BEFORE_13] = "IM";
  return { "1.1": older, "1.2": older, "1.3": base };
})();

/**
 * Values emitted as EXT_T_0 per version: only where the version surely defines the token (when
 * the sources disagree, the inline string every reader understands). 1.1: the common, access
 * and presence sets; 1.2 adds Validity and GROUP_USER_ID_AUTOJOIN (libwbxml and Baraza agree;
 * libwbxml puts 0x31–0x37 in 1.2 where Baraza has them in 1.3); 1.3: its whole table. History is
 * never emitted as a token: AOSP's 1.3 client reads 0x3D as GROUP_ID only.
 */
export const VALUE_TOKENS: Readonly<Record<CspVersion, ReadonlyMap<string, number>>> = (() => {
  const names = VALUE_NAMES["1.3"];
  const in11 = (v: number) =>
    v <= 0x30 || (v >= 0x3d && v <= 0x4f) || (v >= 0x5b && v <= 0x77 && v !== IM_BEFORE_13);
  const in12 = (v: number) => in11(v) || v === 0x33 || v === 0x50;
  const in13 = (v: number) => !(v === 0x5e || v === 0x69 || v === 0x6a || v === 0x76 || v === 0x77);
  const tokens = (keep: (v: number) => boolean) => {
    const map = new Map<string, number>();
    names.forEach((name, v) => {
      if (name !== undefined && keep(v) && !map.has(name)) map.set(name, v);
    });
    return map;
  };
  return { "1.1": tokens(in11), "1.2": tokens(in12), "1.3": tokens(in13) };
})();

/**
 * Integers sent as OPAQUE (1–4 bytes, big-endian): in 1.1 and 1.2 the WBXML specification's
 * list as libwbxml implements it, in 1.3 AOSP's list. Anything else, and a value that is not a
 * plain decimal, goes as a string.
 */
export const INTEGERS: Readonly<Record<CspVersion, ReadonlySet<string>>> = (() => {
  const v11 = new Set(words(`
    Code ContentSize MessageCount Validity KeepAliveTime SearchFindings SearchID SearchIndex
    SearchLimit TimeToLive AcceptedCharset AcceptedContentLength MultiTrans ParserSize
    ServerPollMin TCPPort UDPPort HistoryPeriod MaxWatcherList
  `));
  const v13 = new Set(words(`
    AcceptedPullLength AcceptedPushLength AcceptedRichContentLength AcceptedTextContentLength
    AnswerOptionID ChosenOptionID Code ContentPolicyLimit ContentSize GroupContentLimit
    HistoryPeriod KeepAliveTime MaxWatcherList MessageCount MessageTotalCount MultiTrans
    MultiTransPerMessage PairID ParserSize PlainTextCharset SearchFindings SearchIndex SearchLimit
    SegmentCount SegmentReference ServerPollMin SessionPriority TCPPort TimeToLive TryAgainTimeout
    UDPPort UserSessionLimit Validity WatcherCount
  `));
  return { "1.1": v11, "1.2": v11, "1.3": v13 };
})();

/** Elements whose OPAQUE content is read as an integer: any version's, and the presence
 * attributes libwbxml's decoder also reads so. */
export const OPAQUE_INTEGERS: ReadonlySet<string> = new Set([
  ...INTEGERS["1.1"],
  ...INTEGERS["1.3"],
  "Accuracy",
  "Altitude",
  "Cpriority",
]);

/** Elements whose OPAQUE content is a 6-byte date and time. */
export const DATE_TIMES: ReadonlySet<string> = new Set(["DateTime", "DeliveryTime"]);

/** Message content: its OPAQUE form is the content's bytes themselves. */
export const BINARY_CONTENT = "ContentData";

/** Public identifiers (digest §1.3): the registered numbers and the strings seen for each. */
export const PUBLIC_IDS: Readonly<Record<CspVersion, number>> = {
  "1.1": 0x10,
  "1.2": 0x11,
  "1.3": 0x12,
};
const PUBLIC_ID_STRINGS: Record<string, CspVersion> = {
  "-//WIRELESSVILLAGE//DTD CSP 1.1//EN": "1.1",
  "-//OMA//DTD WV-CSP 1.1//EN": "1.1",
  "-//OMA//DTD WV-CSP 1.2//EN": "1.2",
  "-//OMA//DTD IMPS-CSP 1.2//EN": "1.2",
  "-//OMA//DTD IMPS-CSP 1.3//EN": "1.3",
};

/** The CSP version a public id (a number, or 0 and its string) names, if any. */
export function versionOfPublicId(id: number, text?: string): CspVersion | undefined {
  if (id === 0) return text === undefined ? undefined : PUBLIC_ID_STRINGS[text.trim()];
  for (const version of ["1.1", "1.2", "1.3"] as const) {
    if (PUBLIC_IDS[version] === id) return version;
  }
  return undefined;
}

function words(list: string): string[] {
  return list.split(/\s+/).filter((word) => word !== "");
}
