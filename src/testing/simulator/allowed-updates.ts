// allowed_updates as Telegram keeps it: one setting per bot, set by setWebhook and getUpdates alike, applied
// when an update is made ("doesn't affect updates created before the call").
import { botApiSpec } from '../spec/validate'

/** Every update type, in the order of the spec's Update fields. */
export const updateTypes: readonly string[] = (botApiSpec.types.Update?.fields ?? [])
  .map((field) => field.name)
  .filter((name) => name !== 'update_id')

/** Telegram sends these only when allowed_updates names them. */
const notSentByDefault = new Set(['chat_member', 'message_reaction', 'message_reaction_count'])

/**
 * The setting after a call that passed `value` as allowed_updates: undefined is the default (every type but
 * chat_member, message_reaction and message_reaction_count). As the Bot API server does: a missing value (or
 * one that is no list of strings) keeps the previous setting; unknown names are ignored; an empty list, or
 * one of unknown names only, is the default.
 */
export function nextAllowedUpdates(
  value: unknown,
  previous: readonly string[] | undefined,
): readonly string[] | undefined {
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string')) return previous
  const named = new Set((value as string[]).map((name) => name.toLowerCase()))
  const types = updateTypes.filter((type) => named.has(type))
  const isDefault =
    types.length === 0 ||
    (types.length === updateTypes.length - notSentByDefault.size &&
      [...notSentByDefault].every((type) => !named.has(type)))
  return isDefault ? undefined : types
}

export function allowsUpdate(allowed: readonly string[] | undefined, type: string | undefined): boolean {
  if (type === undefined) return true
  return allowed ? allowed.includes(type) : !notSentByDefault.has(type)
}
