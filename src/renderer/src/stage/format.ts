// The renderer's short names for the shared formatters: one rule per meaning for the CLI and the
// app alike lives in src/shared/format.ts (new code can import it directly).
export { formatBytes as fmtBytes, formatDuration as fmtMs } from '../../../shared/format'
