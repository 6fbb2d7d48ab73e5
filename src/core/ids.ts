// Time-sortable ids (ULID layout: 48-bit ms time + 80 random bits, Crockford base32), shared by the server and
// the fake client, so a list ordered by id is ordered by creation and a cursor is just the last id seen.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

let lastTime = 0
let lastRandom: number[] = []

function randomDigits(): number[] {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (byte) => byte & 31)
}

// Within one millisecond the random part is incremented, so ids made in one process stay ordered.
function monotonicRandom(now: number): number[] {
  if (now !== lastTime) {
    lastTime = now
    lastRandom = randomDigits()
    return lastRandom
  }
  const next = [...lastRandom]
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 31) {
      next[i]! += 1
      break
    }
    next[i] = 0
  }
  lastRandom = next
  return next
}

export function sortableId(now = Date.now()): string {
  let time = ''
  let rest = now
  for (let i = 0; i < 10; i++) {
    time = alphabet[rest % 32] + time
    rest = Math.floor(rest / 32)
  }
  return (
    time +
    monotonicRandom(now)
      .map((digit) => alphabet[digit])
      .join('')
  )
}

export const newOrderId = () => `ord_${sortableId()}`
export const newEventId = () => `evt_${sortableId()}`
