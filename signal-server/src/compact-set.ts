/**
 * A set of strings stored as cheaply as its size allows: one string, a short array, or a Set.
 * Most peers join one document and most documents hold a handful of peers; a `Set` for each costs
 * ~150 bytes, a string nothing extra. Pure functions over `CompactSet | undefined`.
 */
export type CompactSet = string | string[] | Set<string>

/** Arrays grow into a Set past this size (linear scans stay shorter than a hash lookup's overhead). */
const ARRAY_LIMIT = 8

export function csAdd(set: CompactSet | undefined, value: string): CompactSet {
  if (set === undefined) return value
  if (typeof set === 'string') return set === value ? set : [set, value]
  if (Array.isArray(set)) {
    if (set.includes(value)) return set
    if (set.length < ARRAY_LIMIT) {
      set.push(value)
      return set
    }
    return new Set([...set, value])
  }
  set.add(value)
  return set
}

/** Remove a value; undefined when the set became empty. */
export function csDelete(set: CompactSet | undefined, value: string): CompactSet | undefined {
  if (set === undefined || set === value) return undefined
  if (typeof set === 'string') return set
  if (Array.isArray(set)) {
    const index = set.indexOf(value)
    if (index === -1) return set
    set.splice(index, 1)
    return set.length === 1 ? set[0] : set
  }
  set.delete(value)
  return set.size === 0 ? undefined : set
}

export function csHas(set: CompactSet | undefined, value: string): boolean {
  if (set === undefined) return false
  if (typeof set === 'string') return set === value
  return Array.isArray(set) ? set.includes(value) : set.has(value)
}

export function csSize(set: CompactSet | undefined): number {
  if (set === undefined) return 0
  if (typeof set === 'string') return 1
  return Array.isArray(set) ? set.length : set.size
}

export function csValues(set: CompactSet | undefined): readonly string[] {
  if (set === undefined) return []
  if (typeof set === 'string') return [set]
  return Array.isArray(set) ? set.slice() : [...set]
}
