/** The two steps of reading a wire message: text to JSON, JSON to a typed value. Neither throws. */
import * as v from 'valibot'
import { formatIssue } from './issue.ts'
import { fail, ok, type WireResult } from './result.ts'

/** Decode JSON text; text longer than `maxLength` characters is refused unread. */
export function decodeJson(text: string, maxLength = Infinity): WireResult<unknown> {
  if (text.length > maxLength) return fail('ERR_TOO_LARGE', 'message too large')
  try {
    return ok(JSON.parse(text) as unknown)
  } catch {
    return fail('ERR_NOT_JSON', 'message is not JSON')
  }
}

/** Validate `raw` against `schema`; a failure is `ERR_INVALID` naming the first failing field. */
export function parseWith<S extends v.GenericSchema>(schema: S, raw: unknown): WireResult<v.InferOutput<S>> {
  const result = v.safeParse(schema, raw)
  return result.success ? ok(result.output) : fail('ERR_INVALID', formatIssue(result.issues))
}

/** `decodeJson`, then `parseWith`: for wires with no version to look at in between. */
export function parseJson<S extends v.GenericSchema>(
  schema: S,
  text: string,
  maxLength = Infinity,
): WireResult<v.InferOutput<S>> {
  const decoded = decodeJson(text, maxLength)
  return decoded.ok ? parseWith(schema, decoded.value) : decoded
}
