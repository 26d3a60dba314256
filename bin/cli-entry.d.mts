// Types for bin/cli-entry.mjs (plain JavaScript: the bin runs before any TypeScript can).
export declare const CLI_SOURCES: string[]
export declare const CLI_BUNDLE: string
export declare function newestMtime(p: string): number
export declare function builtEntry(root: string, env?: Record<string, string | undefined>): string | null
