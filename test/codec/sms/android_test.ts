/**
 * The SMS binding against the Android engine (AOSP `PtsPrimitiveSerializer`, `PtsPrimitiveParser`,
 * `PtsCodes`): each message it sends, written here as its serializer writes it, reads as the same
 * primitive as its XML, and writes back the same way; and what the server answers is written so
 * that its parser reads it.
 */
import { deepStrictEqual, equal } from "node:assert/strict";
import { decodeCsp } from "../../../src/codec/csp/envelope.ts";
import type { CspMessage, CspVersion } from "../../../src/codec/csp/message.ts";
import { NAMESPACES } from "../../../src/codec/csp/versions.ts";
import { decodePts, encodePts } from "../../../src/codec/sms/mod.ts";
import { parse } from "../fixtures.ts";

const SID = "5f0c3e7a9b1d4e2f8a6c0b3d5e7f9a1c";

/** The message a CSP XML primitive makes, in a 1.2 envelope. */
function xml(primitive: string, id: string, session?: string, version: CspVersion = "1.2") {
  const ns = NAMESPACES[version];
  const descriptor = session
    ? `<SessionType>Inband</SessionType><SessionID>${session}</SessionID>`
    : "<SessionType>Outband</SessionType>";
  const mode = /^<(Status|[\w-]+-Response)\b/.test(primitive) ? "Response" : "Request";
  return decodeCsp(parse(
    `<WV-CSP-Message xmlns="${ns.csp}"><Session><SessionDescriptor>${descriptor}` +
      `</SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>${mode}` +
      `</TransactionMode><TransactionID>${id}</TransactionID></TransactionDescriptor>` +
      `<TransactionContent xmlns="${ns.trc}">${primitive}</TransactionContent></Transaction>` +
      `</Session></WV-CSP-Message>`,
  ));
}

const pts = (text: string): CspMessage => decodeCsp(decodePts(text));

/** What the Android engine sends over SMS (every code of AOSP's sTransactionToCode, and KA). */
const SENT: [what: string, sms: string, same: CspMessage, writtenBack?: string][] = [
  [
    "Login, 4-way, step 1",
    "WV12LR1 CI=JiMMY TL=7205 SC=1234567-42 SH=SHA SH=MD5 UI=wv:alice@example.com",
    xml(
      "<Login-Request><UserID>wv:alice@example.com</UserID><ClientID><URL>JiMMY</URL></ClientID>" +
        "<DigestSchema>SHA</DigestSchema><DigestSchema>MD5</DigestSchema>" +
        "<TimeToLive>7205</TimeToLive><SessionCookie>1234567-42</SessionCookie></Login-Request>",
      "1",
    ),
    // Written in schema order.
    "WV12LR1 CI=JiMMY SH=SHA SH=MD5 TL=7205 SC=1234567-42 UI=wv:alice@example.com",
  ],
  [
    "Login, 4-way, step 2 (base64 has '=': quoted)",
    'WV12LR2 CI=JiMMY TL=7205 SC=1234567-42 DB="q1Zk+Wf/8Mf2b3Uy3kqv7Q==" UI=wv:alice@example.com',
    xml(
      "<Login-Request><UserID>wv:alice@example.com</UserID><ClientID><URL>JiMMY</URL></ClientID>" +
        "<DigestBytes>q1Zk+Wf/8Mf2b3Uy3kqv7Q==</DigestBytes><TimeToLive>7205</TimeToLive>" +
        "<SessionCookie>1234567-42</SessionCookie></Login-Request>",
      "2",
    ),
    'WV12LR2 CI=JiMMY DB="q1Zk+Wf/8Mf2b3Uy3kqv7Q==" TL=7205 SC=1234567-42 UI=wv:alice@example.com',
  ],
  [
    "Login, 2-way, CSP 1.3",
    "WV13LR3 CI=JiMMY TL=7205 SC=c PW=secret UI=wv:alice@example.com",
    xml(
      "<Login-Request><UserID>wv:alice@example.com</UserID><ClientID><URL>JiMMY</URL></ClientID>" +
        "<Password>secret</Password><TimeToLive>7205</TimeToLive><SessionCookie>c</SessionCookie>" +
        "</Login-Request>",
      "3",
      undefined,
      "1.3",
    ),
    "WV13LR3 CI=JiMMY PW=secret TL=7205 SC=c UI=wv:alice@example.com",
  ],
  [
    "ClientCapability (AcceptedContentLength and SHTTP have no code: AOSP leaves them out)",
    `WV12CP4 SI=${SID} CA=((CT,MP),(PS,262144),(MT,1),(ID,P),(PM,30),(SB,HTTP),(SC,ST),(SC,SS))`,
    xml(
      "<ClientCapability-Request><CapabilityList><ClientType>MOBILE_PHONE</ClientType>" +
        "<ParserSize>262144</ParserSize><MultiTrans>1</MultiTrans>" +
        "<InitialDeliveryMethod>P</InitialDeliveryMethod><ServerPollMin>30</ServerPollMin>" +
        "<SupportedBearer>HTTP</SupportedBearer><SupportedCIRMethod>STCP</SupportedCIRMethod>" +
        "<SupportedCIRMethod>SSMS</SupportedCIRMethod></CapabilityList>" +
        "</ClientCapability-Request>",
      "4",
      SID,
    ),
    // The reader puts them in schema order.
    `WV12CP4 SI=${SID} CA=((CT,MP),(ID,P),(PS,262144),(MT,1),(PM,30),(SB,HTTP),(SC,ST),(SC,SS))`,
  ],
  [
    "Service, all four features and AllFunctionsRequest",
    `WV12SQ5 SI=${SID} RF=(FF,PF,IF,GE) AR=T`,
    xml(
      "<Service-Request><Functions><WVCSPFeat><FundamentalFeat/><PresenceFeat/><IMFeat/>" +
        "<GroupFeat/></WVCSPFeat></Functions><AllFunctionsRequest>T</AllFunctionsRequest>" +
        "</Service-Request>",
      "5",
      SID,
    ),
  ],
  [
    "KeepAlive (the digest's KA; AOSP's table misses it)",
    `WV12KA6 SI=${SID} TL=600`,
    xml("<KeepAlive-Request><TimeToLive>600</TimeToLive></KeepAlive-Request>", "6", SID),
  ],
  [
    "Polling",
    `WV12PO7 SI=${SID}`,
    xml("<Polling-Request/>", "7", SID),
  ],
  [
    "Status, the answer to a PresenceNotification",
    `WV12ST998 SI=${SID} ST=200`,
    xml("<Status><Result><Code>200</Code></Result></Status>", "998", SID),
  ],
  [
    "GetBlockedList",
    `WV12GB8 SI=${SID}`,
    xml("<GetBlockedList-Request/>", "8", SID),
  ],
  [
    "GetList",
    `WV12GL9 SI=${SID}`,
    xml("<GetList-Request/>", "9", SID),
  ],
  [
    "CreateList with its properties",
    `WV12CL10 SI=${SID} CP=((DN,"My friends"),(DE,T)) CL=wv:alice/friends@example.com`,
    xml(
      "<CreateList-Request><ContactList>wv:alice/friends@example.com</ContactList>" +
        "<ContactListProperties><Property><Name>DisplayName</Name><Value>My friends</Value>" +
        "</Property><Property><Name>Default</Name><Value>T</Value></Property>" +
        "</ContactListProperties></CreateList-Request>",
      "10",
      SID,
    ),
  ],
  [
    "ListManage adding a contact with a nickname",
    `WV12LM11 SI=${SID} RL=F AN=((Bob,wv:bob@example.com)) CL=wv:alice/friends@example.com`,
    xml(
      "<ListManage-Request><ContactList>wv:alice/friends@example.com</ContactList>" +
        "<AddNickList><NickName><Name>Bob</Name><UserID>wv:bob@example.com</UserID></NickName>" +
        "</AddNickList><ReceiveList>F</ReceiveList></ListManage-Request>",
      "11",
      SID,
    ),
    `WV12LM11 SI=${SID} AN=((Bob,wv:bob@example.com)) RL=F CL=wv:alice/friends@example.com`,
  ],
  [
    "ListManage removing a contact (AOSP pairs it with an empty nickname)",
    `WV12LM12 SI=${SID} RL=F RN=((,wv:bob@example.com)) CL=wv:alice/friends@example.com`,
    xml(
      "<ListManage-Request><ContactList>wv:alice/friends@example.com</ContactList>" +
        "<RemoveNickList><UserID>wv:bob@example.com</UserID></RemoveNickList>" +
        "<ReceiveList>F</ReceiveList></ListManage-Request>",
      "12",
      SID,
    ),
    `WV12LM12 SI=${SID} RN=(wv:bob@example.com) RL=F CL=wv:alice/friends@example.com`,
  ],
  [
    "DeleteList",
    `WV12DL13 SI=${SID} CL=wv:alice/friends@example.com`,
    xml(
      "<DeleteList-Request><ContactList>wv:alice/friends@example.com</ContactList>" +
        "</DeleteList-Request>",
      "13",
      SID,
    ),
  ],
  [
    "GetPresence of two users",
    `WV12GP14 SI=${SID} UI=(wv:bob@example.com,wv:carol@example.com)`,
    xml(
      "<GetPresence-Request><User><UserID>wv:bob@example.com</UserID></User><User>" +
        "<UserID>wv:carol@example.com</UserID></User></GetPresence-Request>",
      "14",
      SID,
    ),
  ],
  [
    "SubscribePresence to a list, basic attributes only (the OZ workaround)",
    `WV12SB15 SI=${SID} PS=(OS,UA,ST) AS=T CL=wv:alice/friends@example.com`,
    xml(
      "<SubscribePresence-Request><ContactList>wv:alice/friends@example.com</ContactList>" +
        "<PresenceSubList><OnlineStatus/><UserAvailability/><StatusText/></PresenceSubList>" +
        "<AutoSubscribe>T</AutoSubscribe></SubscribePresence-Request>",
      "15",
      SID,
    ),
  ],
  [
    "CreateAttributeList for the default list",
    `WV12CA16 SI=${SID} PS=(OS,CF,UA,ST,SC) DL=T`,
    xml(
      "<CreateAttributeList-Request><PresenceSubList><OnlineStatus/><ClientInfo/>" +
        "<UserAvailability/><StatusText/><StatusContent/></PresenceSubList>" +
        "<DefaultList>T</DefaultList></CreateAttributeList-Request>",
      "16",
      SID,
    ),
  ],
  [
    "UpdatePresence: AOSP writes values unquoted, spaces and all",
    `WV12UP17 SI=${SID} UV=((OS,T,T),(UA,T,AV),(ST,T,Out for lunch))`,
    xml(
      "<UpdatePresence-Request><PresenceSubList><OnlineStatus><Qualifier>T</Qualifier>" +
        "<PresenceValue>T</PresenceValue></OnlineStatus><UserAvailability><Qualifier>T" +
        "</Qualifier><PresenceValue>AVAILABLE</PresenceValue></UserAvailability><StatusText>" +
        "<Qualifier>T</Qualifier><PresenceValue>Out for lunch</PresenceValue></StatusText>" +
        "</PresenceSubList></UpdatePresence-Request>",
      "17",
      SID,
    ),
    `WV12UP17 SI=${SID} UV=((OS,T,T),(UA,T,AV),(ST,T,"Out for lunch"))`,
  ],
  [
    "UpdatePresence of ClientInfo, one attribute in AOSP's extra parentheses",
    `WV12UP18 SI=${SID} UV=((CF,T,((CT,MP),(CP,"Google, Inc."),(CV,1.0))))`,
    xml(
      "<UpdatePresence-Request><PresenceSubList><ClientInfo><Qualifier>T</Qualifier>" +
        "<ClientType>MOBILE_PHONE</ClientType><ClientProducer>Google, Inc.</ClientProducer>" +
        "<ClientVersion>1.0</ClientVersion></ClientInfo></PresenceSubList>" +
        "</UpdatePresence-Request>",
      "18",
      SID,
    ),
  ],
  [
    "Logout",
    `WV12OR19 SI=${SID}`,
    xml("<Logout-Request/>", "19", SID),
  ],
];

for (const [what, sms, same, writtenBack] of SENT) {
  Deno.test(`Android sends ${what}: read as its XML, written back`, () => {
    deepStrictEqual(pts(sms), same);
    deepStrictEqual(encodePts(same), [writtenBack ?? sms]);
  });
}

/** What the server answers, as the Android parser reads it. */
const ANSWERED: [what: string, message: CspMessage, sms: string][] = [
  [
    "Login-Response of digest step 1 (AOSP reads DI as DigestSchema, NO as Nonce)",
    xml(
      "<Login-Response><ClientID><URL>JiMMY</URL></ClientID><Result><Code>200</Code>" +
        "<Description>Send digest</Description></Result><Nonce>9f2c</Nonce>" +
        "<DigestSchema>SHA</DigestSchema></Login-Response>",
      "1",
    ),
    'WV12RL1 CI=JiMMY ST=(200,"Send digest") NO=9f2c DI=SHA',
  ],
  [
    "Login-Response with the session (SI is an element of Login-Response only)",
    xml(
      "<Login-Response><ClientID><URL>JiMMY</URL></ClientID><Result><Code>200</Code>" +
        `<Description/></Result><SessionID>${SID}</SessionID><KeepAliveTime>600</KeepAliveTime>` +
        "<CapabilityRequest>T</CapabilityRequest></Login-Response>",
      "2",
    ),
    `WV12RL2 CI=JiMMY ST=(200,"") SI=${SID} KA=600 CR=T`,
  ],
  [
    "ClientCapability-Response",
    xml(
      "<ClientCapability-Response><AgreedCapabilityList><ClientType>MOBILE_PHONE</ClientType>" +
        "<InitialDeliveryMethod>P</InitialDeliveryMethod><MultiTrans>1</MultiTrans>" +
        "<ServerPollMin>30</ServerPollMin><SupportedBearer>HTTP</SupportedBearer>" +
        "</AgreedCapabilityList></ClientCapability-Response>",
      "4",
      SID,
    ),
    `WV12PC4 SI=${SID} AP=((CT,MP),(ID,P),(MT,1),(PM,30),(SB,HTTP))`,
  ],
  [
    "Service-Response: what is denied as NF, all that exists as AF",
    xml(
      "<Service-Response><Functions><WVCSPFeat><FundamentalFeat><VerifyIDFunc/>" +
        "</FundamentalFeat></WVCSPFeat></Functions><AllFunctions><WVCSPFeat>" +
        "<FundamentalFeat><ServiceFunc><GETSPI/></ServiceFunc></FundamentalFeat><IMFeat/>" +
        "</WVCSPFeat></AllFunctions></Service-Response>",
      "5",
      SID,
    ),
    `WV12QS5 SI=${SID} NF=((FF,(VerifyIDFunc))) AF=((FF,((ServiceFunc,(GETSPI)))),IF)`,
  ],
  [
    "KeepAlive-Response",
    xml(
      "<KeepAlive-Response><Result><Code>200</Code></Result><KeepAliveTime>600</KeepAliveTime>" +
        "</KeepAlive-Response>",
      "6",
      SID,
    ),
    `WV12AK6 SI=${SID} ST=200 KA=600`,
  ],
  [
    "GetList-Response (DC is the default list)",
    xml(
      "<GetList-Response><ContactList>wv:alice/friends@example.com</ContactList><ContactList>" +
        "wv:alice/work@example.com</ContactList><DefaultContactList>" +
        "wv:alice/friends@example.com</DefaultContactList></GetList-Response>",
      "9",
      SID,
    ),
    `WV12LG9 SI=${SID} DC=wv:alice/friends@example.com ` +
    "CL=(wv:alice/friends@example.com,wv:alice/work@example.com)",
  ],
  [
    "ListManage-Response with the list's nicknames and properties",
    xml(
      "<ListManage-Response><Result><Code>200</Code></Result><NickList><NickName><Name>Bob" +
        "</Name><UserID>wv:bob@example.com</UserID></NickName></NickList>" +
        "<ContactListProperties><Property><Name>DisplayName</Name><Value>My friends</Value>" +
        "</Property></ContactListProperties></ListManage-Response>",
      "11",
      SID,
    ),
    `WV12ML11 SI=${SID} ST=200 UN=((Bob,wv:bob@example.com)) CP=((DN,"My friends"))`,
  ],
  [
    "PresenceNotification of two users, in one PR (AOSP keeps one value per name)",
    xml(
      "<PresenceNotification-Request><Presence><UserID>wv:bob@example.com</UserID>" +
        "<PresenceSubList><OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T" +
        "</PresenceValue></OnlineStatus><UserAvailability><Qualifier>T</Qualifier>" +
        "<PresenceValue>DISCREET</PresenceValue></UserAvailability></PresenceSubList>" +
        "</Presence><Presence><UserID>wv:carol@example.com</UserID><PresenceSubList>" +
        "<OnlineStatus><Qualifier>F</Qualifier></OnlineStatus></PresenceSubList></Presence>" +
        "</PresenceNotification-Request>",
      "7",
      SID,
    ),
    `WV12PN7 SI=${SID} PR=((wv:bob@example.com,((OS,T,T),(UA,T,DI))),` +
    '(wv:carol@example.com,((OS,F,""))))',
  ],
  [
    "GetPresence-Response with ClientInfo",
    xml(
      "<GetPresence-Response><Result><Code>200</Code></Result><Presence><UserID>" +
        "wv:bob@example.com</UserID><PresenceSubList><ClientInfo><Qualifier>T</Qualifier>" +
        "<ClientType>COMPUTER</ClientType></ClientInfo><StatusText><Qualifier>T</Qualifier>" +
        "<PresenceValue>in a meeting</PresenceValue></StatusText></PresenceSubList></Presence>" +
        "</GetPresence-Response>",
      "14",
      SID,
    ),
    `WV12PG14 SI=${SID} ST=200 PR=(wv:bob@example.com,((CF,T,((CT,CO))),(ST,T,"in a meeting")))`,
  ],
  [
    "Disconnect",
    xml(
      "<Disconnect><Result><Code>601</Code><Description>Forced logout</Description></Result>" +
        "</Disconnect>",
      "20",
      SID,
    ),
    `WV12DI20 SI=${SID} ST=(601,"Forced logout")`,
  ],
  [
    "Status",
    xml(
      '<Status><Result><Code>409</Code><Description>Invalid "password"</Description></Result>' +
        "</Status>",
      "3",
    ),
    'WV12ST3 ST=(409,"Invalid ""password""")',
  ],
];

for (const [what, message, sms] of ANSWERED) {
  Deno.test(`the server answers ${what}`, () => {
    deepStrictEqual(encodePts(message), [sms]);
    deepStrictEqual(pts(sms), message);
  });
}

Deno.test("a multi-transaction answer is one PTS message per transaction", () => {
  const message = xml("<Polling-Request/>", "1", SID);
  message.transactions.push({ ...message.transactions[0], transactionId: "2" });
  equal(encodePts(message).length, 2);
});
