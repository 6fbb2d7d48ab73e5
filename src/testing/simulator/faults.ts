// Faults on demand (sim.fault): which update a fault hits, and how many it has left.
import type { Fault, Update } from './types'

function faultHits(fault: Fault, update: Pick<Update, 'message' | 'pre_checkout_query'>): boolean {
  const on = fault.on ?? 'any'
  if (on === 'any') return true
  if (on === 'pre_checkout_query') return update.pre_checkout_query !== undefined
  return update.message?.[on] !== undefined
}

export class Faults {
  private faults: Array<Fault & { remaining: number }> = []

  add(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 })
  }

  /** The first fault that hits this update, used up by one. */
  take(update: Pick<Update, 'message' | 'pre_checkout_query'>): Fault | undefined {
    const index = this.faults.findIndex((fault) => faultHits(fault, update))
    const fault = this.faults[index]
    if (!fault) return undefined
    if (--fault.remaining <= 0) this.faults.splice(index, 1)
    return fault
  }
}
