// Full-screen layers: the black screen (B or .) and the keys (?).

export function Blackout() {
  // Opaque black and nothing else: a projector shows black, the audience looks at the speaker.
  return <div className="blackout" data-testid="blackout" aria-hidden="true" />
}

export const HELP: [string, string][] = [
  ['→ / Space / PageDown', 'next: start the next hop (ignored while one runs)'],
  ['← / PageUp', 'nothing: a hop cannot be taken back'],
  ['B or .', 'black screen (again to bring the picture back)'],
  ['F', 'full screen'],
  ['V', 'presenter view / normal view'],
  ['T', 'light / dark theme'],
  ['C', 'connect to every host'],
  ['P', 'preflight'],
  ['R', 'stage fallback: the newest good recording of this tour from the same hop (REPLAY), again for live after a preflight'],
  ['Esc Esc', 'cancel: press twice within 2 s (safe before the freeze; a frozen hop always finishes or rolls back)'],
  ['?', 'this help (Esc closes it)'],
]

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="help" role="dialog" aria-label="Keyboard shortcuts" data-testid="help" onClick={onClose}>
      <dl>
        {HELP.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </div>
  )
}
