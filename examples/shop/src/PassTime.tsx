import { useEffect, useState } from 'react'
import { useEntitlement } from 'tma-pay/react'

/** "23 h 5 min", "12 min": how long is left, to the minute. */
const left = (ms: number) => {
  const minutes = Math.max(1, Math.ceil(ms / 60_000))
  const hours = Math.floor(minutes / 60)
  return hours ? `${hours} h ${minutes % 60} min` : `${minutes} min`
}

/** A pass's time left while it runs (the PayButton beside it then offers to extend it), from the server. */
export function PassTime({ productId }: { productId: string }) {
  const { active, expiresAt } = useEntitlement(productId)
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000)
    return () => clearInterval(timer)
  }, [])
  if (!active || !expiresAt) return <p className="muted">Not active: a purchase starts it now.</p>
  return (
    <p className="pass-time" data-testid={`pass-time-${productId}`}>
      Active for {left(Date.parse(expiresAt) - now)} more
    </p>
  )
}
