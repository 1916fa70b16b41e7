// The error of a platform file the user gave, in a module of its own: the CLI's dispatcher tells it from dmalab's own
// errors without loading the platform loader (and the devicetree compiler behind it).

/** A platform file that cannot describe a machine (not a devicetree, or missing what a machine needs); the message
 * names the file, with line:col where there is one. */
export class PlatformError extends Error {}
