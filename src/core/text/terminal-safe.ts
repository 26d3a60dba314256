// Untrusted text (tour values, file names, remote output) printed to a terminal: ESC, CSI and the
// other controls could clear the screen, retitle the window, move the cursor over earlier lines
// or reorder text (bidi). Each such character is shown as an escape instead.

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Surrogate}/gu
const UNSAFE_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Surrogate}/gu

const escape = (c: string): string => {
  const code = c.codePointAt(0)!
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** Escapes control and bidi characters; newlines and tabs stay unless `oneLine` (a line that must not forge another). */
export function terminalSafe(s: string, opts: { oneLine?: boolean } = {}): string {
  return s.replace(opts.oneLine ? UNSAFE_ONE_LINE : UNSAFE, escape)
}
