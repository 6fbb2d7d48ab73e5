// The test stack (simulator + pay server on an in-memory PGlite) in a process of its own, for test files whose
// environment replaces Node's fetch classes: happy-dom swaps the global Request and Headers that the
// Node HTTP adapter of the pay server builds on, so the server cannot share a process with it.
//
//   tsx test/helpers/stack-process.ts    # prints one JSON line { url, simUrl, botToken }; stops when stdin ends
import { pgliteStore } from 'tma-pay/server'
import { createSimulator, startServer } from './stack'

const sim = await createSimulator()
// In memory: nothing on disk to clean up, and it opens faster.
// A test file may sell its own catalog (startStack({ products })).
const products = process.env.TMA_PAY_STACK_PRODUCTS
const server = await startServer(
  sim,
  pgliteStore('memory://'),
  products ? { products: JSON.parse(products) } : {},
)
// The first request waits for the store to open (PGlite takes seconds): pay that here, not in a test.
await fetch(`${server.url}/products`)
process.stdout.write(`${JSON.stringify({ url: server.url, simUrl: sim.url, botToken: sim.botToken })}\n`)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  await server.close()
  await sim.close()
  process.exit(0)
}
// The parent closing stdin (or dying) ends the stack, so no server outlives a test run.
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.on('SIGTERM', stop)
process.stdin.resume()
