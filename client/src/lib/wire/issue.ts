/** How every wire names a valibot failure: the path of the first issue, then its message. */
import type * as v from 'valibot'

/** `self.joinedAt: Invalid type: Expected number but received "soon"`; no path for a top-level issue. */
export function formatIssue(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  const [issue] = issues
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? ''
  return path ? `${path}: ${issue.message}` : issue.message
}
