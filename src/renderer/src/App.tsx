// The app shell: engine view, keys, view (normal / presenter), theme, and the full-screen layers.
// What each view shows lives in views/; what a key means lives in keys/stage-keys.ts.
import { useCallback, useEffect, useState } from 'react'
import type { GlobehopApi } from '../../shared/contract'
import type { Mode } from '../../shared/tour'
import { CONFIRM_WINDOW_MS, onEscape } from './keys/cancel-confirm'
import { ReplayBanner } from './replay/ReplayBanner'
import { replayRootAttrs } from './replay/replay-banner-model'
import type { StageAction } from './keys/stage-keys'
import { useStageKeys } from './keys/useStageKeys'
import { fallbackPress } from './stage/fallback-press'
import { Blackout, HelpOverlay } from './stage/Overlays'
import { nextPress } from './stage/tour-progress'
import { readStageOptions, writeStageOptions, type StageOptions } from './stage/url-options'
import { useEngine } from './useEngine'
import { NormalView } from './views/NormalView'
import { PresenterView } from './views/PresenterView'
import type { Shell } from './views/shell'

/** How long a passing hint (e.g. why ← did nothing) stays. */
const HINT_MS = 2500

export function App({ api }: { api: GlobehopApi }) {
  const [view, setError] = useEngine(api)
  const [opts, setOpts] = useState<StageOptions>(() => readStageOptions(location.search))
  const [help, setHelp] = useState(false)
  const [blackout, setBlackout] = useState(false)
  const [armedAt, setArmedAt] = useState<number | null>(null)
  const [outcome, setOutcome] = useState<string | null>(null)
  const [hint, setHint] = useState<string | null>(null)
  // A next press on its way: a second press (a double click of the clicker) must not hop twice.
  const [pending, setPending] = useState(false)
  const [mode, setMode] = useState<Mode | ''>('')
  const state = view.state
  const busy = state?.busy ?? 'idle'
  // Cancel also ends a pending Connect (nothing is frozen then).
  const cancellable = busy !== 'idle' || (state?.tour?.hosts.some((h) => h.conn === 'connecting') ?? false)
  const modeArg = mode || undefined

  // A reload keeps the view and theme.
  useEffect(() => {
    const search = writeStageOptions(location.search, opts)
    if (search !== location.search) history.replaceState(history.state, '', location.pathname + search + location.hash)
  }, [opts])
  useEffect(() => {
    if (armedAt === null) return
    const t = setTimeout(() => setArmedAt(null), CONFIRM_WINDOW_MS)
    return () => clearTimeout(t)
  }, [armedAt])
  useEffect(() => {
    if (hint === null) return
    const t = setTimeout(() => setHint(null), HINT_MS)
    return () => clearTimeout(t)
  }, [hint])
  // The engine shows the hop: the press has landed (state adjusted while rendering, as React advises).
  if (pending && state?.hopRunning) setPending(false)

  /** Runs a command; errors whose code is in `quiet` are shown elsewhere (or are no error at all). */
  const run = useCallback(
    (what: () => Promise<unknown>, quiet: string[] = []) => {
      setError(null)
      setOutcome(null)
      what().catch((err: Error & { code?: string }) => {
        if (!quiet.includes(err.code ?? '')) setError(err.message)
      })
    },
    [setError],
  )

  const press = nextPress(state, pending)
  const next = useCallback(() => {
    // While a hop runs (or the tour is done) a press does nothing: the stepper already says why.
    if (press.kind !== 'hop' && press.kind !== 'next') return
    setPending(true)
    const settle = () => setPending(false)
    if (press.kind === 'hop') run(() => api.hop({ mode: modeArg }).finally(settle), ['busy'])
    else run(() => api.next({}).then((r) => !r.accepted && settle(), (err: unknown) => (settle(), Promise.reject(err))), ['busy'])
  }, [api, press.kind, modeArg, run])
  // `next` is answered at once; if the hop never shows (the tour ended meanwhile), let go.
  useEffect(() => {
    if (!pending) return
    const t = setTimeout(() => setPending(false), 10_000)
    return () => clearTimeout(t)
  }, [pending])

  const cancel = useCallback(() => {
    setArmedAt(null)
    setError(null)
    api
      .cancel({})
      .then((r) => setOutcome(r.cancelled ? `Cancelled: ${r.detail}` : r.detail))
      .catch((err: Error) => setError(err.message))
  }, [api, setError])

  const shell: Shell = {
    api,
    view,
    labelOf: (name) => state?.tour?.hosts.find((h) => h.name === name)?.label ?? name,
    press,
    pending,
    hint,
    armedAt,
    outcome,
    theme: opts.theme,
    mode,
    setMode,
    connect: () => run(() => api.connect({}), ['connect-failed']),
    preflight: () => run(() => api.preflight({ mode: modeArg })),
    next,
    runTour: () => run(() => api.tour({ auto: true, mode: modeArg })),
    cancel,
    cancellable,
    // The problems are shown from the engine state, once (not also as an error).
    loadTour: (path) => run(() => api.loadTour({ path }), ['bad-tour']),
    toggleView: () => setOpts((o) => ({ ...o, view: o.view === 'presenter' ? 'normal' : 'presenter' })),
    toggleHelp: () => setHelp((h) => !h),
  }

  const onAction = (a: StageAction) => {
    switch (a) {
      case 'next':
        return next()
      case 'previous':
        return setHint('← does nothing: a hop cannot be taken back; → goes on')
      case 'blackout':
        return setBlackout((b) => !b)
      case 'fullscreen':
        return toggleFullscreen(setHint)
      case 'view':
        return shell.toggleView()
      case 'theme':
        return setOpts((o) => ({ ...o, theme: o.theme === 'light' ? 'dark' : 'light' }))
      case 'help':
        return setHelp((h) => !h)
      case 'preflight':
        return busy === 'idle' && shell.preflight()
      case 'connect':
        return shell.connect()
      case 'fallback': {
        const f = fallbackPress(state)
        setHint(f.hint)
        if ('to' in f) run(() => api.fallback({ to: f.to }))
        return
      }
      case 'escape': {
        const e = onEscape({ now: Date.now(), armedAt, helpOpen: help, busy: cancellable })
        if (e === 'close-help') setHelp(false)
        else if (e === 'arm') setArmedAt(Date.now())
        else if (e === 'cancel') cancel()
        return
      }
      case 'leave-field':
        return
    }
  }
  useStageKeys(blackout, onAction)

  return (
    <div className="app" data-app-state={state ? 'ready' : 'loading'} data-busy={busy} data-view={opts.view} data-theme={opts.theme} {...replayRootAttrs(state)}>
      <ReplayBanner api={api} />
      {opts.view === 'presenter' ? <PresenterView shell={shell} /> : <NormalView shell={shell} />}
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
      {blackout && <Blackout />}
    </div>
  )
}

function toggleFullscreen(say: (s: string) => void): void {
  const p = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen()
  // Refused (a browser policy, or Electron's permission handler): say so, calmly.
  p.catch(() => say('full screen is not allowed here: use the browser\'s own full-screen key (F11)'))
}
