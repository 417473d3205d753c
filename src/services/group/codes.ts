/**
 * The group status codes (digest §3: no list was found, only Baraza's usage and a recollection of
 * the OMA list; this server uses the recollection where Baraza agrees or is silent).
 */
export const GROUP_DOES_NOT_EXIST = 800;
export const GROUP_EXISTS = 801;
export const INVALID_GROUP = 806;
export const ALREADY_JOINED = 807;
export const NOT_JOINED = 808;
export const REJECTED = 809;
export const NOT_A_MEMBER = 810;
export const SCREEN_NAME_IN_USE = 811;
export const PRIVATE_MESSAGING_DISABLED = 812;
export const PRIVATE_MESSAGING_REFUSED = 813;
export const TOO_MANY_GROUPS = 814;
export const INSUFFICIENT_PRIVILEGES = 816;
export const GROUP_FULL = 817;

export const GROUP_TEXT: Record<number, string> = {
  800: "Group does not exist",
  801: "Group already exists",
  806: "Invalid or unsupported group ID or properties",
  807: "Group is already joined",
  808: "Group is not joined",
  809: "Group has rejected the user",
  810: "Not a group member",
  811: "Screen name already in use",
  812: "Private messaging is disabled for the group",
  813: "Private messaging is disabled for the user",
  814: "Maximum number of groups reached",
  816: "Insufficient group privileges",
  817: "Maximum number of joined users reached",
};
