/** The product's name and version, as `--version`, the start banner and GetSPInfo show them. */
export const PRODUCT = "IMPS server";
/** Semantic version of this server; raised with every release. */
export const VERSION = "0.1.0";
