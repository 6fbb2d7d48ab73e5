/** The few things the SQL store needs from a PostgreSQL connection. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>
}

/**
 * Rows with these two columns are a NOTIFY the statement made (`tma_pay_channel`, `tma_pay_notice` the payload): a
 * driver whose notifications come back through the database (PostgreSQL) hands the payload to this process's own
 * listeners as soon as the statement has committed, without waiting for the round trip through the server.
 */
export interface NoticeRow {
  tma_pay_channel?: unknown
  tma_pay_notice?: unknown
}

export interface SqlDriver extends SqlExecutor {
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>
  /** LISTENs on a channel; resolves once listening, with the way to stop. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
}
