// The module's exports: buffer access, then the routines. No strings cross the boundary:
// JS writes bytes at inputPtr() and reads results through views of memory.

export { inputPtr, outputPtr, reserveInput, resultsPtr } from "./buffers";
export { headResultsPtr, scanHeads } from "./head";
export { seedNames } from "./names";
export { tokenizeWbxml } from "./wbxml";
export { tokenizeXml } from "./xml";
export {
  tableBytes,
  tableCreate,
  tableFree,
  tableInsert,
  tableLookup,
  tableRemove,
  tableSize,
  tableSweep,
} from "./table";
