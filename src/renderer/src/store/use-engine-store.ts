// A component's view of the engine store: re-renders only when what its selector returns changes
// (by identity, or field by field for the small objects some selectors build).
import { useRef, useSyncExternalStore } from 'react'
import type { GlobehopApi } from '../../../shared/contract'
import { engineStore, type EngineStore } from './engine-store'

export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) || Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

export function useEngineStore<T>(api: GlobehopApi, select: (s: EngineStore) => T, equal: (a: T, b: T) => boolean = shallowEqual): T {
  const store = engineStore(api)
  // useSyncExternalStore needs the same value back while nothing changed: keep the last one.
  const last = useRef<{ value: T } | null>(null)
  const snapshot = () => {
    const next = select(store)
    if (last.current && equal(last.current.value, next)) return last.current.value
    last.current = { value: next }
    return next
  }
  return useSyncExternalStore(store.subscribe, snapshot)
}
