// CSV per RFC 4180: CRLF line ends, a field with a comma, quote or line break is quoted and its
// quotes doubled. Small enough that a library would cost more than it saves.

export type Cell = string | number | boolean | null | undefined

/** Spreadsheets run a text cell that starts like this as a formula; remote error text may. */
const FORMULA_START = /^[=+\-@\t\r]/

export function csvField(v: Cell): string {
  if (v === null || v === undefined) return ''
  let s = typeof v === 'string' ? v : String(v)
  // Only text is guarded: a negative number stays a number.
  if (typeof v === 'string' && FORMULA_START.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function csvRow(cells: readonly Cell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`
}
