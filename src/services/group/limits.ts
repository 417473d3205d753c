/** Bounds of the group service (proposed settings in the report; constants until then). */

/** Groups one user may own at once (814 beyond). */
export const MAX_GROUPS_PER_USER = 50;
/** Largest MaxActiveUsers a group may ask for, and the default: users joined at once (817). */
export const MAX_ACTIVE_USERS = 2_000;
/** Explicit members (AddGroupMembers, MemberAccess) per group. */
export const MAX_MEMBERS = 5_000;
/** Users on one group's reject list. */
export const MAX_REJECTED = 1_000;
/** Users named in one AddGroupMembers / RemoveGroupMembers / MemberAccess / RejectList. */
export const MAX_USERS_PER_REQUEST = 100;
/** Characters of a screen name (SName). */
export const MAX_SCREEN_NAME = 50;
/** Characters of a text property (Name, Topic). */
export const MAX_TEXT_PROPERTY = 256;
/** Bytes of a WelcomeNote's ContentData. */
export const MAX_WELCOME_NOTE = 4_096;
/** Groups one search returns at most (the caller's limit may be lower). */
export const MAX_SEARCH_RESULTS = 200;
/** How long a local client's request about a group of another domain waits for its server, ms. */
export const GROUP_REQUEST_TIMEOUT_MS = 10_000;
/** Most users one GroupChangeNotice or LeaveGroupIndication from a peer may name. */
export const GROUP_NOTICE_TARGETS = 1000;
/** How long a queued AutoJoin to a group of another domain is tried, ms. */
export const AUTO_JOIN_GIVE_UP_MS = 10 * 60_000;
