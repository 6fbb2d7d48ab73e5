// The Bot API's formatting options (parse_mode HTML, MarkdownV2 and the legacy Markdown): the text a message
// shows and the entities its markup makes, as Telegram parses them. sendMessage's "1-4096 characters after
// entities parsing" counts this text, and markup that does not parse is refused ("can't parse entities").
// Entity offsets and lengths are in UTF-16 code units, which is what JavaScript string indices are.

export interface ParsedEntity {
  type: string
  offset: number
  length: number
  url?: string
  user?: { id: number; is_bot: boolean; first_name: string }
  language?: string
  custom_emoji_id?: string
}

export type ParsedText = { text: string; entities: ParsedEntity[] } | { error: string }

const byteOffset = (source: string, index: number) => new TextEncoder().encode(source.slice(0, index)).length

/** The text and entities of `text` under `parseMode` (none: the text as it is). */
export function parseFormattedText(text: string, parseMode: unknown): ParsedText {
  if (parseMode === undefined || parseMode === '') return { text, entities: [] }
  const mode = String(parseMode).toLowerCase()
  if (mode === 'html') return parseHtml(text)
  if (mode === 'markdownv2') return parseMarkdown(text, true)
  if (mode === 'markdown') return parseMarkdown(text, false)
  return { error: 'unsupported parse_mode' }
}

// Telegram sorts entities by offset, an enclosing one before those it holds, and leaves empty ones out.
function finish(text: string, entities: ParsedEntity[]): ParsedText {
  const kept = entities.filter((entity) => entity.length > 0)
  kept.sort((a, b) => a.offset - b.offset || b.length - a.length)
  return { text, entities: kept }
}

/** A link's entity: text_mention for tg://user?id=N, else text_link. */
function linkEntity(url: string, offset: number): ParsedEntity {
  const mention = /^tg:\/\/user\?id=(\d+)$/.exec(url)
  if (mention) {
    return {
      type: 'text_mention',
      offset,
      length: 0,
      user: { id: Number(mention[1]), is_bot: false, first_name: '' },
    }
  }
  return { type: 'text_link', offset, length: 0, url }
}

const htmlTags: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
}

const namedHtmlEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' }

function parseHtml(source: string): ParsedText {
  let text = ''
  const entities: ParsedEntity[] = []
  const open: Array<{ tag: string; entity: ParsedEntity }> = []
  let index = 0
  while (index < source.length) {
    const char = source[index]!
    if (char === '&') {
      // Numeric entities and four named ones are decoded; any other '&' stays as it is.
      const match = /^&(?:#(\d{1,7})|#x([\da-f]{1,6})|(lt|gt|amp|quot));/i.exec(
        source.slice(index, index + 12),
      )
      const decimal = match?.[1]
      const hex = match?.[2]
      if (match) {
        const code = decimal ? Number(decimal) : hex ? Number.parseInt(hex, 16) : undefined
        text += code === undefined ? namedHtmlEntities[match[3]!.toLowerCase()]! : String.fromCodePoint(code)
        index += match[0].length
        continue
      }
    }
    if (char !== '<') {
      text += char
      index++
      continue
    }
    const tag = /^<(\/?)([a-z][a-z-]*)((?:\s+[a-z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*>/i.exec(
      source.slice(index),
    )
    if (!tag)
      return {
        error: `can't parse entities: Unsupported start tag at byte offset ${byteOffset(source, index)}`,
      }
    const [whole, closing, rawName, rawAttributes = ''] = tag
    const name = rawName!.toLowerCase()
    const type = htmlTags[name]
    if (!type) {
      const kind = closing ? 'end' : 'start'
      return {
        error: `can't parse entities: Unsupported ${kind} tag "${name}" at byte offset ${byteOffset(source, index)}`,
      }
    }
    if (closing) {
      const top = open.pop()
      if (top?.tag !== name) {
        return {
          error: `can't parse entities: Unmatched end tag at byte offset ${byteOffset(source, index)}, expected "</${top?.tag ?? ''}>", found "</${name}>"`,
        }
      }
      top.entity.length = text.length - top.entity.offset
      // <pre><code class="language-x"> is one pre entity with a language.
      const parent = open.at(-1)
      if (name === 'code' && parent?.tag === 'pre' && top.entity.language) {
        parent.entity.language = top.entity.language
      } else {
        delete top.entity.language
        entities.push(top.entity)
      }
    } else {
      const attributes = Object.fromEntries(
        [...rawAttributes.matchAll(/([a-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/gi)].map((m) => [
          m[1]!.toLowerCase(),
          m[2] ?? m[3] ?? m[4] ?? '',
        ]),
      )
      if (name === 'span' && attributes.class !== 'tg-spoiler') {
        return {
          error: `can't parse entities: Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(source, index)}`,
        }
      }
      const offset = text.length
      let entity: ParsedEntity = { type, offset, length: 0 }
      if (name === 'a') entity = linkEntity(attributes.href ?? '', offset)
      if (name === 'tg-emoji') entity.custom_emoji_id = attributes['emoji-id'] ?? ''
      if (name === 'blockquote' && 'expandable' in attributes) entity.type = 'expandable_blockquote'
      const language = /^language-(.+)$/.exec(attributes.class ?? '')?.[1]
      if (name === 'code' && language) entity.language = language
      open.push({ tag: name, entity })
    }
    index += whole!.length
  }
  if (open.length > 0)
    return {
      error: `can't parse entities: Can't find end tag corresponding to start tag "${open.at(-1)!.tag}"`,
    }
  return finish(text, entities)
}

const markdownV2Reserved = new Set('_*[]()~`>#+-=|{}.!')
const entityNames: Record<string, string> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  code: 'Code',
  pre: 'Pre',
  text_link: 'TextUrl',
}

/** MarkdownV2 (`v2`) or the legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url), and in V2 also
 * __underline__, ~strikethrough~ and ||spoiler||, with every reserved character escaped by a backslash. */
function parseMarkdown(source: string, v2: boolean): ParsedText {
  let text = ''
  const entities: ParsedEntity[] = []
  const open: Array<{ marker: string; entity: ParsedEntity; at: number }> = []
  const markers = v2 ? ['```', '||', '__', '*', '_', '~', '`', '['] : ['```', '*', '_', '`', '[']
  let index = 0
  const fail = (reason: string) => ({ error: `can't parse entities: ${reason}` })
  // V2 quotes: lines that start with '>' make one blockquote.
  let quote: ParsedEntity | undefined
  const endQuote = () => {
    if (!quote) return
    quote.length = text.length - quote.offset
    entities.push(quote)
    quote = undefined
  }
  while (index < source.length) {
    const char = source[index]!
    const top = open.at(-1)
    const inCode = top?.marker === '`' || top?.marker === '```'
    const lineStart = index === 0 || source[index - 1] === '\n'
    if (v2 && !inCode && lineStart && char === '>') {
      quote ??= { type: 'blockquote', offset: text.length, length: 0 }
      index++
      continue
    }
    if (quote && char === '\n' && source[index + 1] !== '>') endQuote()
    if (char === '\\' && index + 1 < source.length && (v2 || '_*`['.includes(source[index + 1]!))) {
      text += source[index + 1]
      index += 2
      continue
    }
    if (top?.marker === '[' && char === ']') {
      // The link's end: ](url)
      const url = /^\]\(((?:\\.|[^)\\])*)\)/.exec(source.slice(index))
      if (!url) return fail(`Can't find end of a url at byte offset ${byteOffset(source, index)}`)
      open.pop()
      const entity = linkEntity(url[1]!.replace(/\\(.)/g, '$1'), top.entity.offset)
      entity.length = text.length - entity.offset
      entities.push(entity)
      index += url[0].length
      continue
    }
    const marker = markers.find((candidate) => source.startsWith(candidate, index))
    const closes = marker !== undefined && top?.marker === marker
    if (marker && (closes || (!inCode && (v2 || open.length === 0)))) {
      if (closes) {
        open.pop()
        top.entity.length = text.length - top.entity.offset
        entities.push(top.entity)
      } else if (open.some((entry) => entry.marker === marker)) {
        return fail(
          `Can't find end of ${entityNames[open.at(-1)!.entity.type]} entity at byte offset ${byteOffset(source, open.at(-1)!.at)}`,
        )
      } else {
        const type = {
          '```': 'pre',
          '||': 'spoiler',
          __: 'underline',
          '*': 'bold',
          _: 'italic',
          '~': 'strikethrough',
          '`': 'code',
          '[': 'text_link',
        }[marker]!
        const entity: ParsedEntity = { type, offset: text.length, length: 0 }
        if (marker === '```') {
          // ```language on the first line names the language.
          const language = /^```([^\s`]+)\n/.exec(source.slice(index))?.[1]
          if (language) {
            entity.language = language
            index += language.length + 1
          } else if (source[index + 3] === '\n') index++
        }
        open.push({ marker, entity, at: index })
      }
      index += marker.length
      continue
    }
    if (v2 && !inCode && markdownV2Reserved.has(char)) {
      return fail(`Character '${char}' is reserved and must be escaped with the preceding '\\'`)
    }
    text += char
    index++
  }
  endQuote()
  const unclosed = open.at(-1)
  if (unclosed) {
    return fail(
      v2
        ? `Can't find end of ${entityNames[unclosed.entity.type]} entity at byte offset ${byteOffset(source, unclosed.at)}`
        : `Can't find end of the entity starting at byte offset ${byteOffset(source, unclosed.at)}`,
    )
  }
  return finish(text, entities)
}
