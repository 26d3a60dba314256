// Quoting for a POSIX remote shell. SSH sends one command string that the remote user's shell
// parses again, so every argv element is wrapped in single quotes, where nothing is special
// except the closing quote itself (POSIX XCU 2.2.2). A `'` inside becomes `'\''`: close the
// quote, a backslash-escaped literal quote, reopen.

// Words made only of these characters mean the same quoted or not; leaving them bare keeps
// logged command lines readable. Deliberately absent: `=` (a first word `a=b` is an
// assignment), `~` (tilde expansion), `#` (comment), globs, and anything else the shell reads.
const BARE = /^[A-Za-z0-9_@%+:,./-]+$/

/** One argument, safe to paste into a POSIX shell command line as exactly one word. */
export function quoteArg(s: string): string {
  if (BARE.test(s)) return s
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/** A whole argv as one command line for `sh -c`: each element becomes exactly one word. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('quoteArgv: empty argv')
  return argv.map(quoteArg).join(' ')
}
