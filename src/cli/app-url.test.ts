import { describe, expect, it } from 'vitest'
import { withPresenterView } from './app'

describe('serve --presenter', () => {
  it('asks for the presenter view in the query, before the #fragment that carries the token', () => {
    expect(withPresenterView('http://127.0.0.1:4000/#token=abc')).toBe('http://127.0.0.1:4000/?view=presenter#token=abc')
    expect(withPresenterView('http://[::1]:4000/?x=1#token=abc')).toBe('http://[::1]:4000/?x=1&view=presenter#token=abc')
  })
})
