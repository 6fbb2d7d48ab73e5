/** Progress goes to stderr, so stdout holds only the report (and can be piped or diffed). */
export const progress = (text: string) => process.stderr.write(`bench: ${text}\n`)
