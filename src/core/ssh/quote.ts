// Quoting for a POSIX remote shell. SSH sends one command string, which `sh` on the host parses
// again (whatever the login shell: see shNeutralCommand below), so every argv element is wrapped
// in single quotes, where nothing is special except the closing quote itself (POSIX XCU 2.2.2).
// A `'` inside becomes `'\''`: close the quote, a backslash-escaped literal quote, reopen.

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

// --- The exec string: the same for every login shell ---------------------------------------
// sshd hands the exec string to the remote user's login shell (`$SHELL -c STRING`), and tcsh,
// csh and fish do not parse POSIX quoting (tcsh: `'...'` cannot hold a newline and `!` still
// expands; fish: `\'` and `\\` are escapes inside `'...'`). So the script never reaches the login
// shell as shell text: it travels as one single-quoted word holding printable ASCII except `'`,
// `\` and `!`, every other byte written as a `\0ooo` octal escape. Inside single quotes all these
// shells (and bash, dash, zsh) keep such a word unchanged; `sh` turns it back into the script with
// `printf %b` (a builtin: no tool needed on the host) and evaluates it. `exec` replaces the login
// shell, so `sh` keeps its PID: the session leader, whose process group a kill targets.

/** The longest exec string sent. Linux caps one argv element (the login shell's `-c` string)
 *  at 128 KiB (MAX_ARG_STRLEN); past that the remote exec would fail with a vaguer error. */
export const MAX_EXEC_STRING = 128 * 1024 - 1024

const keepsAsIs = (b: number) => b >= 0x20 && b <= 0x7e && b !== 0x27 /* ' */ && b !== 0x5c /* \ */ && b !== 0x21 /* ! */

/** `script` (POSIX sh text) as an exec string every common login shell runs unchanged under sh. */
export function shNeutralCommand(script: string): string {
  let word = ''
  for (const b of Buffer.from(script, 'utf8')) word += keepsAsIs(b) ? String.fromCharCode(b) : `\\0${b.toString(8).padStart(3, '0')}`
  const cmd = `exec sh -c 'eval "$(printf %b "$1")"' sh '${word}'`
  if (cmd.length > MAX_EXEC_STRING) throw new Error(`remote command too long: ${cmd.length} bytes once encoded for the login shell (at most ${MAX_EXEC_STRING}); pass bulk data on stdin`)
  return cmd
}
