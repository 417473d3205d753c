/**
 * Typed bodies of the primitives the session layer handles, in the shape decodeElement produces
 * and encodeElement accepts (children in any property order; the encoder applies schema order).
 * They describe schema-valid content: a child the schema marks repeating is an array, integers
 * and booleans arrive as strings when the text was not canonical, so check before use.
 */
import type { ElementObject } from "./message.ts";

/** A decoded integer: a number, or the original text when it was not a canonical decimal. */
export type CspInteger = number | string;
/** A decoded T/F: a boolean, or the original text when it was neither. */
export type CspBoolean = boolean | string;
/** An element without content (`<GETSPI/>`). */
export type EmptyElement = Record<string, never>;

export interface Result extends ElementObject {
  Code: CspInteger;
  Description?: string;
  DetailedResult?: DetailedResult[];
  SystemMessageList?: ElementObject;
  TryAgainTimeout?: CspInteger;
}

export interface DetailedResult extends ElementObject {
  Code: CspInteger;
  Description?: string;
  UserID?: string[];
  GroupID?: string[];
  ScreenName?: ScreenName[];
  MessageID?: string[];
  ContactList?: string[];
  Domain?: string[];
  SearchElement?: string[];
}

export interface ScreenName extends ElementObject {
  SName: string;
  GroupID: string;
}

export interface ClientID extends ElementObject {
  URL?: string;
  MSISDN?: string;
}

export interface Status extends ElementObject {
  Result: Result;
  /** 1.1 only. */
  ClientID?: ClientID;
}

export interface LoginRequest extends ElementObject {
  UserID: string;
  ClientID: ClientID;
  ApplicationID?: string;
  Password?: string;
  DigestBytes?: string;
  DigestSchema?: string[];
  SessionID?: string;
  TimeToLive?: CspInteger;
  SessionCookie?: string;
  SystemMessageResponseList?: ElementObject;
  Functions?: Functions;
  CapabilityList?: CapabilityList;
}

export interface LoginResponse extends ElementObject {
  UserID?: string;
  ClientID?: ClientID;
  Result: Result;
  Nonce?: string;
  DigestSchema?: string;
  SessionID?: string;
  KeepAliveTime?: CspInteger;
  CapabilityRequest?: CspBoolean;
  Functions?: Functions;
  AgreedCapabilityList?: CapabilityList;
}

export type LogoutRequest = EmptyElement;
export type PollingRequest = EmptyElement;

export interface Disconnect extends ElementObject {
  Result: Result;
}

export interface KeepAliveRequest extends ElementObject {
  TimeToLive?: CspInteger;
}

export interface KeepAliveResponse extends ElementObject {
  Result: Result;
  KeepAliveTime?: CspInteger;
}

export interface GetSPInfoRequest extends ElementObject {
  ClientID?: ClientID;
}

export interface GetSPInfoResponse extends ElementObject {
  ClientID?: ClientID;
  Name?: string;
  Logo?: {
    ContentType?: string;
    ContentSize?: CspInteger;
    ContentEncoding?: string;
    ContentData?: string;
  };
  Description?: string;
  URL?: string;
}

export interface ServiceRequest extends ElementObject {
  /** 1.1 only. */
  ClientID?: ClientID;
  Functions?: Functions;
  AllFunctionsRequest?: CspBoolean;
}

export interface ServiceResponse extends ElementObject {
  /** 1.1 only. */
  ClientID?: ClientID;
  Functions?: Functions;
  AllFunctions?: Functions;
}

/** `Functions` / `AllFunctions`; an empty element means "the whole subtree". */
export interface Functions extends ElementObject {
  WVCSPFeat?: WVCSPFeat;
}

export interface WVCSPFeat extends ElementObject {
  FundamentalFeat?: FundamentalFeat;
  PresenceFeat?: PresenceFeat;
  IMFeat?: IMFeat;
  GroupFeat?: GroupFeat;
}

type Leaves<Name extends string> = { [leaf in Name]?: EmptyElement };

export interface FundamentalFeat extends ElementObject, Leaves<"MF"> {
  ServiceFunc?: Leaves<"GETSPI" | "GETMAP" | "SGMNT">;
  SearchFunc?: Leaves<"SRCH" | "ADVSR" | "STSRC">;
  InviteFunc?: Leaves<"INVIT" | "CAINV">;
  VerifyIDFunc?: Leaves<"VRID">;
}

export interface PresenceFeat extends ElementObject, Leaves<"MP"> {
  ContListFunc?: Leaves<"GCLI" | "CCLI" | "DCLI" | "MCLS">;
  PresenceAuthFunc?: Leaves<"GETWL" | "REACT" | "CAAUT" | "GETAUT">;
  PresenceDeliverFunc?: Leaves<"GETPR" | "UPDPR">;
  AttListFunc?: Leaves<"CALI" | "DALI" | "GALS">;
}

export interface IMFeat extends ElementObject, Leaves<"MM"> {
  IMSendFunc?: Leaves<"MDELIV" | "FWMSG">;
  IMReceiveFunc?: Leaves<"SETD" | "GETLM" | "GETM" | "REJCM" | "NOTIF" | "NEWM" | "OFFNOTIF">;
  IMAuthFunc?: Leaves<"GLBLU" | "BLENT">;
}

export interface GroupFeat extends ElementObject, Leaves<"MG"> {
  GroupMgmtFunc?: Leaves<"CREAG" | "DELGR" | "GETGP" | "SETGP">;
  GroupUseFunc?: Leaves<"SUBGCN" | "GRCHN" | "EXCON">;
  GroupAuthFunc?: Leaves<"GETGM" | "ADDGM" | "RMVGM" | "MBRAC" | "REJEC" | "GETJU">;
}

export interface ClientCapabilityRequest extends ElementObject {
  /** 1.1 only. */
  ClientID?: ClientID;
  CapabilityList: CapabilityList;
}

export interface ClientCapabilityResponse extends ElementObject {
  /** 1.1 only. */
  ClientID?: ClientID;
  /** The 1.1 answer. */
  CapabilityList?: CapabilityList;
  /** The 1.2/1.3 answer. */
  AgreedCapabilityList?: CapabilityList;
}

/** `CapabilityList` and `AgreedCapabilityList` share their children. */
export interface CapabilityList extends ElementObject {
  ClientType?: string;
  InitialDeliveryMethod?: string;
  AnyContent?: CspBoolean;
  /** Text up to 1.2; `{ContentType, AcceptedRichContentLength?, …}` in 1.3. */
  AcceptedContentType?: (string | AcceptedContentType)[];
  AcceptedCharset?: CspInteger[];
  AcceptedContentLength?: CspInteger;
  AcceptedPullLength?: CspInteger;
  AcceptedPushLength?: CspInteger;
  AcceptedTextContentLength?: CspInteger;
  AcceptedTransferEncoding?: string[];
  CIRHTTPAddress?: { URL?: string };
  /** The 1.2 name of CIRHTTPAddress. */
  CIRURL?: { URL?: string };
  CIRSMSAddress?: string;
  ParserSize?: CspInteger;
  MultiTrans?: CspInteger;
  MultiTransPerMessage?: CspInteger;
  OfflineETEMHandling?: string;
  OnlineETEMHandling?: string;
  PlainTextCharset?: CspInteger[];
  ServerPollMin?: CspInteger;
  SupportedBearer?: string[];
  SupportedOfflineBearer?: string[];
  SupportedCIRMethod?: string[];
  TCPAddress?: string;
  TCPPort?: CspInteger;
  UDPAddress?: string;
  UDPPort?: CspInteger;
  DefaultLanguage?: string;
  SessionPriority?: CspInteger;
  UserSessionLimit?: CspInteger;
}

export interface AcceptedContentType extends ElementObject {
  ContentType?: string;
  AcceptedRichContentLength?: CspInteger;
  ContentPolicy?: string;
  ContentPolicyLimit?: CspInteger;
}

export interface VersionList extends ElementObject {
  SessionNSName?: string[];
  TransactionNSName?: string[];
  PresenceAttributeNSName?: string[];
}

export interface VersionDiscoveryRequest extends ElementObject {
  VersionList?: VersionList;
  /** Free text, or an object when it carries its own `xmlns`. */
  ExtendedData?: (string | ElementObject)[];
}

export interface VersionDiscoveryResponse extends ElementObject {
  VersionList?: VersionList;
  OtherServer?: ClientID[];
  /** Free text, or an object when it carries its own `xmlns`. */
  ExtendedData?: (string | ElementObject)[];
}
