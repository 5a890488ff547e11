/**
 * Pure rules every member applies to the same inputs, so all peers agree without a vote:
 * join order, unique display names, and who is host.
 */
export interface MemberInfo {
  id: string
  name: string
  joinedAt: number
}

/** Longest-present first; the peer id breaks ties so the order is total and identical everywhere. */
export function byJoinOrder(a: MemberInfo, b: MemberInfo): number {
  return a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

const FALLBACK_NAME = 'Guest'

/** The form names are compared in: NFKC, no format characters, case-folded, so lookalikes clash. */
export function nameKey(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .toLowerCase()
}

/**
 * Display names, unique in the room. The longest-present member keeps a name; later members
 * with the same name (compared as `nameKey`: case and lookalike forms ignored) get " (2)", " (3)", … in join order, skipping suffixed
 * names someone already chose.
 */
export function uniqueNames(members: readonly MemberInfo[]): Map<string, string> {
  const sorted = [...members].sort(byJoinOrder)
  const taken = new Set<string>()
  const result = new Map<string, string>()
  for (const member of sorted) {
    const base = member.name || FALLBACK_NAME
    let name = base
    for (let n = 2; taken.has(nameKey(name)); n++) name = `${base} (${n})`
    taken.add(nameKey(name))
    result.set(member.id, name)
  }
  return result
}

/** The longest-present member, who becomes host when the host leaves. */
export function longestPresent(members: readonly MemberInfo[]): string | null {
  return [...members].sort(byJoinOrder)[0]?.id ?? null
}

/**
 * Resolve the host after the member set changed or a peer claimed a different host.
 * - a known host who is still present stays host;
 * - two present candidates (a split room merging): the one earlier in join order wins, on both sides;
 * - otherwise (host gone, or none known yet among present members) the longest-present member.
 */
export function resolveHost(
  members: readonly MemberInfo[],
  current: string | null,
  claimed: string | null = null,
): string | null {
  const present = new Map(members.map((m) => [m.id, m]))
  const currentMember = current ? present.get(current) : undefined
  const claimedMember = claimed ? present.get(claimed) : undefined
  if (currentMember && claimedMember)
    return byJoinOrder(currentMember, claimedMember) <= 0 ? current : claimed
  if (currentMember) return current
  if (claimedMember) return claimed
  return longestPresent(members)
}
