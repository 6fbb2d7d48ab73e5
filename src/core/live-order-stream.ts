import type { OrderStreamReader } from './client'
import { sleep } from './sleep'

/**
 * The live order stream (Server-Sent Events of `GET /orders/:id/stream`) for `createPayClient({ orderStream })`:
 * each change of the order once and in order, resumed with `Last-Event-ID` after a cut, reopened when no byte
 * (not even the server's heartbeat) came for `stallMs`.
 */
export const liveOrderStream: OrderStreamReader = async (
  open,
  show,
  { signal, retries, retryDelayMs, stallMs },
) => {
  let lastEventId = ''
  for (let failures = 0; failures < retries; ) {
    // No byte for stallMs (the server's heartbeat comes every 10 s by default): the stream is stuck.
    const stalled = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const rearm = () => {
      clearTimeout(timer)
      timer = setTimeout(() => stalled.abort(), stallMs)
    }
    try {
      rearm()
      const response = await open(lastEventId, stalled.signal)
      // Any refusal (an older server without streams, a proxy) leaves polling to find out more.
      if (!response.ok) return undefined
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
      // Read as the SSE spec says, not as our server happens to write: lines end at CRLF, LF or CR,
      // never at U+2028 or U+2029 (JSON leaves them raw, and a regex `.` stops at them). A CR that ends
      // a chunk waits for the next, as it may be half a CRLF; one that ends the stream ends nothing,
      // and its event comes again after the reconnect. The rest is a line still arriving.
      let rest = ''
      // The fields of the event being read. Its id counts once the event is dispatched at a blank line,
      // so a resume never skips an order that was cut off half-way.
      let event: Record<string, string> = {}
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        rearm()
        const lines = (rest + read.value).split(/\r?\n|\r(?!$)/)
        rest = lines.pop()!
        for (const line of lines) {
          // `field: value` with one space dropped, or a bare `field`; comments have no field name.
          const [field, value = ''] = line.split(/: ?(.*)/s)
          if (line) event[field!] = field === 'data' ? `${event.data ?? ''}${value}\n` : value
          else {
            lastEventId = event.id ?? lastEventId
            // An event with no data is not dispatched; JSON ignores the LF that ends the data.
            if (event.data && event.event === 'order') {
              failures = 0
              const order = JSON.parse(event.data)
              if (show(order)) return order
            }
            event = {}
          }
        }
      }
    } catch {
      // Broken or stalled; an abort is thrown by the sleep below, with the signal's reason.
    } finally {
      clearTimeout(timer)
    }
    // Ended before the order settled, or broke: try again a little later.
    await sleep(retryDelayMs * 2 ** failures++, signal)
  }
  return undefined
}
