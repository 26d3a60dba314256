// A counting semaphore: at most `max` holders at once, the rest wait in FIFO order.
export class Limiter {
  private active = 0
  private peak = 0
  private readonly waiting: (() => void)[] = []

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new Error(`Limiter: max must be >= 1, got ${max}`)
  }

  /** Resolves with a release function once a slot is free. Release exactly once. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    this.peak = Math.max(this.peak, this.active)
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      // Hand the slot straight to the next waiter so a newcomer cannot overtake it.
      if (next) next()
      else this.active--
    }
  }

  get stats(): { active: number; queued: number; peak: number } {
    return { active: this.active, queued: this.waiting.length, peak: this.peak }
  }
}
