// Memory shared by every routine: one reused input buffer, one reused output buffer and a small
// fixed results area. JS writes input bytes at inputPtr(), calls a routine, then reads results
// through typed-array views (which it re-makes whenever memory has grown).

/** Bytes readable past the end of the input, so SIMD loads never leave the buffer. */
export const INPUT_SLACK: usize = 16;

/** Results area: 32 int32 words whose meaning depends on the routine that ran last. */
export const RESULTS: usize = memory.data(32 * 4, 8);

let inputBase: usize = 0;
let inputCapacity: usize = 0;
let outputBase: usize = 0;
let outputCapacity: usize = 0;

/** Makes room for `length` input bytes; returns where to write them. */
export function reserveInput(length: u32): usize {
  const needed = <usize>length + INPUT_SLACK;
  if (needed > inputCapacity) {
    if (inputBase != 0) heap.free(inputBase);
    inputCapacity = max<usize>(needed, 4096);
    inputBase = heap.alloc(inputCapacity);
  }
  return inputBase;
}

export function inputPtr(): usize {
  return inputBase;
}

/** Makes room for `bytes` of output (contents not kept); returns its address. */
export function reserveOutput(bytes: usize): usize {
  if (bytes > outputCapacity) {
    if (outputBase != 0) heap.free(outputBase);
    outputCapacity = max<usize>(bytes, 4096);
    outputBase = heap.alloc(outputCapacity);
  }
  return outputBase;
}

export function outputPtr(): usize {
  return outputBase;
}

export function resultsPtr(): usize {
  return RESULTS;
}
