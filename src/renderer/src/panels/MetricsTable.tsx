// Per-hop figures: the seed's columns (dump, sizes, transfer, restore) plus CRIU frozen time, the
// pre-copy snapshots' pauses (players feel them as lag) and what the client saw.
import type { HopResult, StepName } from '../../../shared/contract'
import { fmtBytes as bytes, fmtMs as ms } from '../stage/format'
const stepMs = (h: HopResult, step: StepName) => {
  const found = h.steps.filter((s) => s.step === step)
  return found.length ? found.reduce((a, s) => a + s.ms, 0) : undefined
}

export function MetricsTable({ hops, labelOf }: { hops: HopResult[]; labelOf: (host: string) => string }) {
  return (
    <section className="panel metrics" aria-label="Per-hop metrics">
      <h2>Hops</h2>
      <table data-testid="metrics-table">
        <thead>
          <tr>
            <th scope="col">Hop</th>
            <th scope="col">Mode</th>
            <th scope="col">Dump</th>
            <th scope="col">CRIU frozen</th>
            <th scope="col" title="Sum of the pre-copy snapshots' pauses before the final freeze (CRIU freezing + frozen time, or how long globehop held the game where it froze it first)">Snapshot pauses</th>
            <th scope="col">Image</th>
            <th scope="col">On the wire</th>
            <th scope="col">Transfer</th>
            <th scope="col">Restore</th>
            <th scope="col">Client gap</th>
            <th scope="col">RTT before → after</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {hops.length === 0 ? (
            <tr className="empty">
              <td colSpan={12}>No hops yet. Connect (C), then hop (→, Space or PageDown); preflight (P) shows what each host can do.</td>
            </tr>
          ) : (
            hops.map((h) => [
              <tr key={h.hopId} data-testid="hop-row" data-ok={h.ok}>
                <td>
                  {labelOf(h.from)} → {labelOf(h.to)}
                </td>
                <td>{h.technique}</td>
                <td>{ms(stepMs(h, 'checkpoint'))}</td>
                <td>{ms(h.criuDump?.frozenTimeUs != null ? h.criuDump.frozenTimeUs / 1000 : undefined)}</td>
                <td>{ms(h.snapshotPauseMs)}</td>
                <td>{bytes(h.imageBytes)}</td>
                <td>{bytes(h.wireBytes)}</td>
                <td>{ms(stepMs(h, 'transfer'))}</td>
                <td>{ms(stepMs(h, 'restore'))}</td>
                <td>{ms(h.client?.downtimeMs)}</td>
                <td>
                  {ms(h.client?.rttBeforeMs)} → {ms(h.client?.rttAfterMs)}
                </td>
                <td>{h.ok ? (h.error ? 'ok, with a warning' : 'ok') : h.containerOn ? `failed; game on ${labelOf(h.containerOn)}` : 'failed; NO HOST RUNS THE GAME'}</td>
              </tr>,
              // What happened and what was done, in words, where the eye is (not in a tooltip).
              (h.error || h.rollback) && (
                <tr key={`${h.hopId}-why`} className="hop-why" data-testid="hop-failure">
                  <td colSpan={12}>
                    {h.error && <div>{h.ok ? 'warning' : 'what failed'}: {h.error}</div>}
                    {h.rollback && <div>what was done: {h.rollback}</div>}
                  </td>
                </tr>
              ),
            ])
          )}
        </tbody>
      </table>
    </section>
  )
}
