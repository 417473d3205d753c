/**
 * The parameters of a PTS message and the element tree every CSP encoding shares, both ways.
 *
 * Most elements take the general form: a leaf is its text, a structure the group of its
 * children as `(name,value)` pairs (a repeated child repeats its pair), a list of leaves (a
 * UserIDList, users and contact lists at the top of a primitive) a group of strings. Elements
 * the Android engine writes its own way keep that way: ClientID, capability lists, the service
 * tree, Result, nick lists, contact list properties, presence lists and Presence (see each
 * form below). PTS has no attributes and no mixed content: both are left out.
 */
import type { ElementObject, ElementValue } from "../csp/message.ts";
import { type ElementModel, elementModel } from "../csp/schema.ts";
import type { XmlElement } from "../xml/tree.ts";
import {
  ATTRIBUTE_CODES,
  CAPABILITY_CODES,
  elementCode,
  elementsOfName,
  PROPERTY_CODES,
  SERVICE_CODES,
  valueCode,
  valueOfCode,
} from "./codes.ts";
import type { PtsValue } from "./syntax.ts";
import { isMsisdn } from "../../util/msisdn.ts";

/** Parameters that do not make a valid primitive (the message reads, but means nothing). */
export class PtsContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PtsContentError";
  }
}

const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

// ---------------------------------------------------------------------------------------------
// Reading: parameters to elements

/** The children of a primitive from its parameters (SessionID excepted, see message.ts). */
export function paramsToElements(primitive: string, params: [string, PtsValue][]): XmlElement[] {
  const model = elementModel(primitive);
  const ctx: ReadContext = { presenceValues: PRESENCE_WITH_VALUES.has(primitive) };
  const children: XmlElement[] = [];
  for (const [name, value] of params) {
    children.push(...readElement(resolveName(name, model), value, childModel(model, name), ctx));
  }
  return children;
}

interface ReadContext {
  /** Whether a presence list is read with values first (it may be read either way). */
  presenceValues: boolean;
}

/** Primitives whose presence lists carry values; elsewhere they name attributes. The two forms
 * can read alike (`(CF,(CT,CP))`: ClientInfo's parts, or its ClientType `CP`). */
const PRESENCE_WITH_VALUES = new Set([
  "UpdatePresence-Request",
  "PresenceNotification-Request",
  "GetPresence-Response",
]);

/** The element a parameter or pair name stands for inside `parent`. */
function resolveName(name: string, parent: ElementModel | undefined): string {
  if (parent?.childByName.has(name)) return name;
  const candidates = elementsOfName(name);
  const inParent = candidates.find((c) => parent?.childByName.has(c));
  if (inParent) return inParent;
  if (parent) {
    const lower = name.toLowerCase();
    for (const child of parent.childByName.keys()) if (child.toLowerCase() === lower) return child;
  }
  if (candidates.length > 0) return candidates[0];
  if (!ELEMENT_NAME.test(name)) throw new PtsContentError(`"${name}" is not an element name`);
  return name;
}

function childModel(parent: ElementModel | undefined, name: string): ElementModel | undefined {
  const resolved = resolveName(name, parent);
  return parent?.childByName.get(resolved)?.model ?? elementModel(resolved);
}

type Reader = (
  name: string,
  value: PtsValue,
  model: ElementModel | undefined,
  ctx: ReadContext,
) => XmlElement[];

const READERS: Record<string, Reader> = {
  ClientID: readClientId,
  CapabilityList: readCapabilities,
  AgreedCapabilityList: readCapabilities,
  Functions: readServiceTree,
  AllFunctions: readServiceTree,
  Result: readResult,
  NickList: readNickList,
  AddNickList: readNickList,
  RemoveNickList: readNickList,
  ContactListProperties: readProperties,
  OwnProperties: readProperties,
  PresenceSubList: readPresenceSubList,
  Presence: readPresence,
};

/** One parameter (or pair) as elements: several where a list of strings stands for repeats. */
function readElement(
  name: string,
  value: PtsValue,
  model: ElementModel | undefined,
  ctx: ReadContext,
): XmlElement[] {
  const reader = READERS[name];
  if (reader) return reader(name, value, model, ctx);
  if (typeof value === "string") return [readLeafOrShorthand(name, value, model)];
  if (value.every((v) => typeof v === "string")) {
    const list = listChild(model);
    if (list) return [element(name, value.map((v) => leaf(list, v as string)))];
    // Several of the element itself: users or contact lists at the top of a primitive.
    return value.map((v) => readLeafOrShorthand(name, v as string, model));
  }
  return [element(name, readPairs(value, model, ctx))];
}

/** A string: the element's text, the one child of a list, or a user or group by its id. */
function readLeafOrShorthand(name: string, text: string, model: ElementModel | undefined) {
  if (text === "") return element(name, []);
  if (name === "User") return element(name, [leaf("UserID", text)]);
  if (name === "Group") return element(name, [leaf("GroupID", text)]);
  const list = listChild(model);
  if (list) return element(name, [leaf(list, text)]);
  return leaf(name, text);
}

/** Children from `(name,value)` pairs. */
function readPairs(
  pairs: PtsValue[],
  model: ElementModel | undefined,
  ctx: ReadContext,
): XmlElement[] {
  const children: XmlElement[] = [];
  for (const pair of pairs) {
    if (typeof pair === "string" || pair.length !== 2 || typeof pair[0] !== "string") {
      throw new PtsContentError("a structure holds (name,value) pairs");
    }
    const [name, value] = pair as [string, PtsValue];
    children.push(...readElement(resolveName(name, model), value, childModel(model, name), ctx));
  }
  return children;
}

/** `CI=url`, `CI=msisdn` (AOSP: the URL, else the MSISDN), or `CI=(url,msisdn)`. */
function readClientId(
  name: string,
  value: PtsValue,
  model: ElementModel | undefined,
  ctx: ReadContext,
) {
  if (typeof value === "string") {
    return [element(name, [leaf(isMsisdn(value) ? "MSISDN" : "URL", value)])];
  }
  if (value.length === 2 && value.every((v) => typeof v === "string")) {
    const [url, msisdn] = value as string[];
    return [element(name, [leaf("URL", url), leaf("MSISDN", msisdn)].filter((e) => e.text))];
  }
  return [element(name, readPairs(value, model, ctx))];
}

/** `CA=((CT,MP),(MT,1),(SC,ST),…)`: capability code and value pairs (AOSP). */
function readCapabilities(
  name: string,
  value: PtsValue,
  model: ElementModel | undefined,
  ctx: ReadContext,
) {
  const children: XmlElement[] = [];
  for (const pair of groupOf(value, name)) {
    if (typeof pair === "string" || pair.length !== 2 || typeof pair[0] !== "string") {
      throw new PtsContentError(`${name} holds (capability,value) pairs`);
    }
    const capability = CAPABILITY_CODES.name(pair[0]);
    const capValue = pair[1];
    if (
      typeof capValue === "string" && (capability === "CIRHTTPAddress" || capability === "CIRURL")
    ) {
      children.push(element(capability, [leaf("URL", capValue)]));
    } else if (typeof capValue === "string") {
      children.push(leaf(capability, valueOfCode(capability, capValue)));
    } else {
      children.push(...readElement(capability, capValue, childModel(model, capability), ctx));
    }
  }
  return [element(name, children)];
}

/**
 * The service tree: the features under WVCSPFeat, each a code (`FF`, `PF`, `IF`, `GE`; the
 * whole tree `WV`) or `(code,(children))`, functions and leaves by name. AOSP writes
 * `RF=(FF,PF,IF,GE)`.
 */
function readServiceTree(name: string, value: PtsValue) {
  if (value === "") return [element(name, [])];
  const items = typeof value === "string" ? [value] : value;
  const nodes = items.map(readServiceNode);
  const root = nodes.length === 1 && nodes[0].name === "WVCSPFeat"
    ? nodes[0]
    : element("WVCSPFeat", nodes);
  return [element(name, [root])];
}

function readServiceNode(item: PtsValue): XmlElement {
  if (typeof item === "string") return element(SERVICE_CODES.name(item), []);
  const [code, children] = item;
  if (item.length !== 2 || typeof code !== "string" || typeof children === "string") {
    throw new PtsContentError("a service tree node is a code or (code,(children))");
  }
  return element(SERVICE_CODES.name(code), children.map(readServiceNode));
}

/** `ST=code`, `ST=(code,description)` (AOSP), then any other children as pairs. */
function readResult(
  name: string,
  value: PtsValue,
  model: ElementModel | undefined,
  ctx: ReadContext,
) {
  if (typeof value === "string") return [element(name, [leaf("Code", value)])];
  const [code, description, ...rest] = value;
  if (typeof code !== "string" || (description !== undefined && typeof description !== "string")) {
    throw new PtsContentError("a result is code or (code,description,…)");
  }
  const children = [leaf("Code", code)];
  if (description !== undefined) children.push(leaf("Description", description));
  children.push(...readPairs(rest, model, ctx));
  return [element(name, children)];
}

/** `UN=((nick,user),…)` (AOSP); a plain string is a UserID without a nickname. */
function readNickList(name: string, value: PtsValue) {
  const children = groupOf(value, name).map((item) => {
    if (typeof item === "string") return leaf("UserID", item);
    const [nick, userId] = item;
    if (item.length !== 2 || typeof nick !== "string" || typeof userId !== "string") {
      throw new PtsContentError(`${name} holds (nickname,user) pairs`);
    }
    if (name === "RemoveNickList") return leaf("UserID", userId);
    return element("NickName", [leaf("Name", nick), leaf("UserID", userId)]);
  });
  return [element(name, children)];
}

/** `CP=((DN,"My friends"),(DE,T))`: property name and value pairs (AOSP). */
function readProperties(name: string, value: PtsValue) {
  const children = groupOf(value, name).map((item) => {
    if (
      typeof item === "string" || item.length !== 2 || !item.every((v) => typeof v === "string")
    ) {
      throw new PtsContentError(`${name} holds (property,value) pairs`);
    }
    const [property, propertyValue] = item as string[];
    return element("Property", [
      leaf("Name", PROPERTY_CODES.name(property)),
      leaf("Value", propertyValue),
    ]);
  });
  return [element(name, children)];
}

/**
 * A presence list, in either of AOSP's forms. With values (UpdatePresence `UV`, and inside
 * Presence): a group of `(attribute,qualifier,value)` tuples, the qualifier empty when absent,
 * the value a string (PresenceValue) or a group of `(part,value)` tuples (ClientInfo,
 * StatusContent, …). Without values (which attributes: GetPresence, SubscribePresence, attribute
 * lists): a group of attribute codes, `(code,(parts))` for parts of one.
 */
function readPresenceSubList(
  name: string,
  value: PtsValue,
  _model: ElementModel | undefined,
  ctx: ReadContext,
) {
  if (value === "") return [element(name, [])];
  const attributes = ctx.presenceValues
    ? presenceValues(value) ?? presenceNames(value)
    : presenceNames(value) ?? presenceValues(value);
  if (!attributes) throw new PtsContentError("not a presence list");
  return [element(name, attributes)];
}

function presenceValues(value: PtsValue): XmlElement[] | undefined {
  if (typeof value === "string") return undefined;
  const attributes: XmlElement[] = [];
  for (const tuple of value) {
    const attribute = presenceAttribute(tuple, true);
    if (!attribute) return undefined;
    attributes.push(attribute);
  }
  return attributes;
}

/** `(code,value)`, `(code,qualifier,value)`; the value a string or a group of parts. */
function presenceAttribute(tuple: PtsValue, topLevel: boolean): XmlElement | undefined {
  if (typeof tuple === "string" || tuple.length < 2 || tuple.length > 3) return undefined;
  const [code, ...rest] = tuple;
  if (typeof code !== "string") return undefined;
  const name = ATTRIBUTE_CODES.name(code);
  if (!ELEMENT_NAME.test(name)) return undefined;
  const value = rest.at(-1)!;
  const qualifier = rest.length === 2 ? rest[0] : "";
  if (typeof qualifier !== "string") return undefined;
  const children: XmlElement[] = qualifier === "" ? [] : [leaf("Qualifier", qualifier)];
  if (typeof value === "string") {
    // A sub-attribute's value is its text; an attribute's its PresenceValue, none at all when
    // it is not valid (`(OS,F,"")`).
    if (!topLevel && rest.length === 1) return leaf(name, valueOfCode(name, value));
    if (!(qualifier === "F" && value === "")) {
      children.push(leaf("PresenceValue", valueOfCode(name, value)));
    }
    return element(name, children);
  }
  // One part `(CT,MP)` or several `((CT,MP),(CP,x))`.
  const parts = typeof value[0] === "string" ? [value] : value;
  for (const part of parts) {
    const child = presenceAttribute(part, false);
    if (!child) return undefined;
    children.push(child);
  }
  return element(name, children);
}

function presenceNames(value: PtsValue): XmlElement[] | undefined {
  const items = typeof value === "string" ? [value] : value;
  const asList = namedItems(items);
  if (asList) return asList;
  // AOSP writes a single attribute with parts without the outer group: `(CF,(CT,CP))`.
  const single = namedItems([items]);
  return single;
}

function namedItems(items: PtsValue[]): XmlElement[] | undefined {
  const out: XmlElement[] = [];
  for (const item of items) {
    if (typeof item === "string") {
      const name = ATTRIBUTE_CODES.name(item);
      if (!ELEMENT_NAME.test(name)) return undefined;
      out.push(element(name, []));
      continue;
    }
    const [code, parts] = item;
    if (item.length !== 2 || typeof code !== "string" || typeof parts === "string") {
      return undefined;
    }
    const children = namedItems(parts);
    if (!children) return undefined;
    const name = ATTRIBUTE_CODES.name(code);
    if (!ELEMENT_NAME.test(name)) return undefined;
    out.push(element(name, children));
  }
  return out;
}

/**
 * `PR=(user,(attributes))` for one, `PR=((user,(attributes)),(user,…))` for several (AOSP),
 * `PR=(user)` or `PR=user` for a user alone; more children of Presence follow as pairs.
 */
function readPresence(
  name: string,
  value: PtsValue,
  model: ElementModel | undefined,
  ctx: ReadContext,
): XmlElement[] {
  if (typeof value === "string") return [element(name, [leaf("UserID", value)])];
  if (value.length === 1 && typeof value[0] !== "string") {
    return readPresence(name, value[0], model, ctx);
  }
  if (typeof value[0] === "string") {
    const [userId, presenceSubList, ...rest] = value;
    // An attribute list's Presence names a contact list rather than a user.
    const children = userId === "" ? [] : [leaf("UserID", userId as string)];
    if (presenceSubList !== undefined && presenceSubList !== "") {
      children.push(...readPresenceSubList("PresenceSubList", presenceSubList, undefined, ctx));
    }
    children.push(...readPairs(rest, model, ctx));
    return [element(name, children)];
  }
  return value.flatMap((one) => readPresence(name, one, model, ctx));
}

function groupOf(value: PtsValue, name: string): PtsValue[] {
  if (value === "") return [];
  if (typeof value === "string") throw new PtsContentError(`${name} takes a group`);
  return value;
}

/** The one child of a container that only lists leaves (UserIDList, ContactListIDList, …). */
function listChild(model: ElementModel | undefined): string | undefined {
  if (model?.kind !== "container" || model.children.length !== 1) return undefined;
  const [only] = model.children;
  return only.repeat && isLeafKind(only.model) ? only.name : undefined;
}

const isLeafKind = (model: ElementModel) =>
  model.kind === "text" || model.kind === "integer" || model.kind === "boolean";

function element(name: string, children: XmlElement[]): XmlElement {
  return { name, attrs: {}, children, text: "" };
}

function leaf(name: string, text: string): XmlElement {
  return { name, attrs: {}, children: [], text };
}

// ---------------------------------------------------------------------------------------------
// Writing: element values to parameters

/** The parameters of a primitive's body. Users and contact lists come last, grouped (AOSP). */
export function bodyToParams(primitive: string, body: ElementObject): [string, PtsValue][] {
  const model = elementModel(primitive);
  const answer = primitive.endsWith("-Response");
  const params: [string, PtsValue][] = [];
  const grouped = new Map<string, string[]>();
  for (const [name, value] of childrenInOrder(body, model)) {
    if (name === "Presence" && value.length > 1) {
      // One parameter for all: the AOSP reader keeps one value per name.
      const presenceModel = model?.childByName.get(name)?.model;
      params.push(["PR", value.map((v) => writeValue(name, v, presenceModel, primitive))]);
      continue;
    }
    if (name === "UserID" || name === "User" || name === "ContactList") {
      const ids = value.map((v) => userOrListId(name, v));
      if (ids.every((id) => id !== undefined)) {
        const code = elementCode(name, primitive, answer);
        grouped.set(code, [...grouped.get(code) ?? [], ...ids as string[]]);
        continue;
      }
    }
    const code = codeIn(model, name, primitive, answer);
    const childModelOf = model?.childByName.get(name)?.model ?? elementModel(name);
    for (const one of value) params.push([code, writeValue(name, one, childModelOf, primitive)]);
  }
  for (const [code, ids] of grouped) params.push([code, ids.length === 1 ? ids[0] : ids]);
  return params;
}

function userOrListId(name: string, value: ElementValue): string | undefined {
  if (typeof value !== "object") return scalarText(value);
  const keys = contentKeys(value);
  if (name === "User" && keys.length === 1 && keys[0] === "UserID") {
    return scalarText(value.UserID as ElementValue);
  }
  return undefined;
}

/** The code a child is written under in `parent`: its own name where another child shares it. */
function codeIn(
  parent: ElementModel | undefined,
  name: string,
  primitive: string,
  answer: boolean,
): string {
  const code = elementCode(name, primitive, answer);
  if (code === name || !parent) return code;
  return sharedCodes(parent, answer).has(name) ? name : code;
}

/** Per model, the children whose code another child of it has too (by the answer flag). */
const SHARED = [new WeakMap<ElementModel, Set<string>>(), new WeakMap<ElementModel, Set<string>>()];

function sharedCodes(model: ElementModel, answer: boolean): Set<string> {
  const cache = SHARED[answer ? 1 : 0];
  let shared = cache.get(model);
  if (!shared) {
    const byCode = new Map<string, string[]>();
    for (const child of model.childByName.keys()) {
      // PresenceSubList's UV depends on the primitive, and never meets another UV.
      const code = elementCode(child, "", answer);
      byCode.set(code, [...byCode.get(code) ?? [], child]);
    }
    shared = new Set([...byCode.values()].filter((names) => names.length > 1).flat());
    cache.set(model, shared);
  }
  return shared;
}

type Writer = (value: ElementValue, model: ElementModel | undefined, primitive: string) => PtsValue;

const WRITERS: Record<string, Writer> = {
  ClientID: writeClientId,
  CapabilityList: writeCapabilities,
  AgreedCapabilityList: writeCapabilities,
  Functions: writeServiceTree,
  AllFunctions: writeServiceTree,
  Result: writeResult,
  NickList: writeNickList,
  AddNickList: writeNickList,
  RemoveNickList: writeNickList,
  ContactListProperties: writeProperties,
  OwnProperties: writeProperties,
  PresenceSubList: writePresenceSubList,
  Presence: writePresence,
};

function writeValue(
  name: string,
  value: ElementValue,
  model: ElementModel | undefined,
  primitive: string,
): PtsValue {
  const writer = WRITERS[name];
  if (writer && typeof value === "object") return writer(value, model, primitive);
  if (typeof value !== "object") return scalarText(value);
  const keys = contentKeys(value);
  if (keys.length === 0) return value["#text"] ?? "";
  if ((name === "User" || name === "Group") && keys.length === 1) {
    const id = name === "User" ? "UserID" : "GroupID";
    if (keys[0] === id && typeof value[id] !== "object") {
      return scalarText(value[id] as ElementValue);
    }
  }
  const list = listChild(model);
  if (list && keys.length === 1 && keys[0] === list) {
    const items = asArray(value[list]);
    if (items.every((v) => typeof v !== "object")) return items.map((v) => scalarText(v));
  }
  return writePairs(value, model, primitive);
}

function writePairs(obj: ElementObject, model: ElementModel | undefined, primitive: string) {
  const answer = primitive.endsWith("-Response");
  const pairs: PtsValue[] = [];
  for (const [name, values] of childrenInOrder(obj, model)) {
    const code = codeIn(model, name, primitive, answer);
    const childModelOf = model?.childByName.get(name)?.model ?? elementModel(name);
    for (const one of values) pairs.push([code, writeValue(name, one, childModelOf, primitive)]);
  }
  return pairs;
}

function writeClientId(value: ElementValue, model: ElementModel | undefined, primitive: string) {
  const obj = value as ElementObject;
  const keys = contentKeys(obj);
  const url = typeof obj.URL === "object" ? undefined : obj.URL;
  const msisdn = typeof obj.MSISDN === "object" ? undefined : obj.MSISDN;
  if (keys.every((k) => k === "URL" || k === "MSISDN")) {
    if (url !== undefined && msisdn !== undefined) return [scalarText(url), scalarText(msisdn)];
    // Alone, an MSISDN is told from a URL by its form; a URL that looks like one is paired.
    if (url !== undefined && !isMsisdn(scalarText(url))) return scalarText(url);
    if (url !== undefined) return [scalarText(url), ""];
    if (msisdn !== undefined) return scalarText(msisdn);
  }
  return writePairs(obj, model, primitive);
}

function writeCapabilities(
  value: ElementValue,
  model: ElementModel | undefined,
  primitive: string,
) {
  const pairs: PtsValue[] = [];
  for (const [name, values] of childrenInOrder(value as ElementObject, model)) {
    const code = CAPABILITY_CODES.code(name);
    const childModelOf = model?.childByName.get(name)?.model ?? elementModel(name);
    for (const one of values) {
      const url = (name === "CIRHTTPAddress" || name === "CIRURL") && typeof one === "object" &&
          contentKeys(one).join() === "URL"
        ? one.URL
        : undefined;
      if (url !== undefined && typeof url !== "object") pairs.push([code, scalarText(url)]);
      else if (typeof one !== "object") pairs.push([code, valueCode(name, scalarText(one))]);
      else pairs.push([code, writeValue(name, one, childModelOf, primitive)]);
    }
  }
  return pairs;
}

function writeServiceTree(value: ElementValue) {
  const root = (value as ElementObject).WVCSPFeat;
  if (root === undefined || typeof root !== "object" || Array.isArray(root)) return "";
  const features = serviceNodes(root);
  return features.length === 0 ? ["WV"] : features;
}

function serviceNodes(obj: ElementObject): PtsValue[] {
  const model = undefined;
  const nodes: PtsValue[] = [];
  for (const [name, values] of childrenInOrder(obj, model)) {
    for (const one of values) {
      const code = SERVICE_CODES.code(name);
      const children = typeof one === "object" ? serviceNodes(one) : [];
      nodes.push(children.length === 0 ? code : [code, children]);
    }
  }
  return nodes;
}

function writeResult(value: ElementValue, model: ElementModel | undefined, primitive: string) {
  const obj = value as ElementObject;
  const { Code, Description, ...rest } = obj;
  const code = scalarText(asArray(Code)[0] ?? "");
  const description = Description === undefined ? undefined : scalarText(asArray(Description)[0]);
  const more = writePairs(rest, model, primitive);
  if (description === undefined && more.length === 0) return code;
  return [code, description ?? "", ...more];
}

function writeNickList(value: ElementValue, model: ElementModel | undefined) {
  const items: PtsValue[] = [];
  for (const [name, values] of childrenInOrder(value as ElementObject, model)) {
    for (const one of values) {
      if (name === "NickName" && typeof one === "object") {
        items.push([
          scalarText(firstScalar(one.Name) ?? ""),
          scalarText(firstScalar(one.UserID) ?? ""),
        ]);
      } else if (typeof one !== "object") {
        items.push(scalarText(one));
      }
    }
  }
  return items.length === 0 ? "" : items;
}

function writeProperties(value: ElementValue) {
  const items: PtsValue[] = [];
  for (const property of asArray((value as ElementObject).Property)) {
    if (typeof property !== "object") continue;
    const name = scalarText(firstScalar(property.Name) ?? "");
    items.push([PROPERTY_CODES.code(name), scalarText(firstScalar(property.Value) ?? "")]);
  }
  return items.length === 0 ? "" : items;
}

/** With values where any attribute has content, else the names form (see readPresenceSubList). */
function writePresenceSubList(value: ElementValue, model: ElementModel | undefined) {
  const attributes = childrenInOrder(value as ElementObject, model);
  const hasValues = attributes.some(([, values]) =>
    values.some((v) => typeof v !== "object" || contentKeys(v).length > 0)
  );
  const items: PtsValue[] = [];
  for (const [name, values] of attributes) {
    const attributeModel = model?.childByName.get(name)?.model ?? elementModel(name);
    for (const one of values) {
      items.push(hasValues ? attributeTuple(name, one, attributeModel) : attributeName(name, one));
    }
  }
  return items.length === 0 ? "" : items;
}

function attributeTuple(name: string, value: ElementValue, model: ElementModel | undefined) {
  const code = ATTRIBUTE_CODES.code(name);
  if (typeof value !== "object") return [code, "", valueCode(name, scalarText(value))];
  const qualifier = firstScalar(value.Qualifier);
  const q = qualifier === undefined ? "" : scalarText(qualifier);
  const presenceValue = firstScalar(value.PresenceValue);
  // The per-client ClientID of an attribute is not carried (the AOSP reader takes no more).
  const parts = childrenInOrder(value, model).filter(([part]) =>
    part !== "Qualifier" && part !== "PresenceValue" && part !== "ClientID"
  );
  if (parts.length === 0) {
    const text = presenceValue === undefined ? "" : valueCode(name, scalarText(presenceValue));
    return [code, q, text];
  }
  const tuples: PtsValue[] = [];
  for (const [part, values] of parts) {
    const partModel = model?.childByName.get(part)?.model ?? elementModel(part);
    for (const one of values) tuples.push(partTuple(part, one, partModel));
  }
  return [code, q, tuples];
}

function partTuple(name: string, value: ElementValue, model: ElementModel | undefined): PtsValue {
  const code = ATTRIBUTE_CODES.code(name);
  if (typeof value !== "object") return [code, valueCode(name, scalarText(value))];
  const tuples: PtsValue[] = [];
  for (const [part, values] of childrenInOrder(value, model)) {
    const partModel = model?.childByName.get(part)?.model ?? elementModel(part);
    for (const one of values) tuples.push(partTuple(part, one, partModel));
  }
  return tuples.length === 0 ? [code, value["#text"] ?? ""] : [code, tuples];
}

function attributeName(name: string, value: ElementValue): PtsValue {
  const code = ATTRIBUTE_CODES.code(name);
  if (typeof value !== "object") return code;
  const parts: PtsValue[] = [];
  for (const [part, values] of childrenInOrder(value, undefined)) {
    for (const one of values) parts.push(attributeName(part, one));
  }
  return parts.length === 0 ? code : [code, parts];
}

function writePresence(value: ElementValue, model: ElementModel | undefined, primitive: string) {
  const obj = value as ElementObject;
  const { UserID, PresenceSubList, ...rest } = obj;
  const userId = scalarText(firstScalar(UserID) ?? "");
  const lists = asArray(PresenceSubList);
  const pslModel = elementModel("PresenceSubList");
  const more = writePairs(rest, model, primitive);
  for (const extra of lists.slice(1)) {
    more.push(["PS", writePresenceSubList(extra, pslModel)]);
  }
  if (lists.length === 0 && more.length === 0) return [userId];
  const first = lists.length > 0 ? writePresenceSubList(lists[0], pslModel) : "";
  return [userId, first, ...more];
}

/** An object's children with their values as arrays: schema order, then unknown ones. */
function childrenInOrder(
  obj: ElementObject,
  model: ElementModel | undefined,
): [string, ElementValue[]][] {
  const out: [string, ElementValue[]][] = [];
  const seen = new Set<string>();
  for (const spec of model?.children ?? []) {
    const value = Object.hasOwn(obj, spec.name) ? obj[spec.name] : undefined;
    if (value === undefined) continue;
    seen.add(spec.name);
    out.push([spec.name, asArray(value)]);
  }
  for (const key of contentKeys(obj)) {
    if (seen.has(key)) continue;
    out.push([key, asArray(obj[key]!)]);
  }
  return out;
}

function contentKeys(obj: ElementObject): string[] {
  return Object.keys(obj).filter((k) => k !== "@attrs" && k !== "#text" && obj[k] !== undefined);
}

const asArray = (v: ElementValue | ElementValue[] | undefined): ElementValue[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function firstScalar(v: ElementValue | ElementValue[] | undefined): ElementValue | undefined {
  const first = asArray(v)[0];
  return typeof first === "object" ? first["#text"] : first;
}

function scalarText(value: ElementValue): string {
  if (typeof value === "boolean") return value ? "T" : "F";
  if (typeof value === "object") return value["#text"] ?? "";
  return String(value);
}
