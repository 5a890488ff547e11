/** The shared shape of the streaming features' wire validation: a typed value or a plain error. */
import * as v from 'valibot'

export type WireResult<T> =
  { ok: true; value: T } | { ok: false; error: { code: 'invalid'; message: string } }

/** Validate `raw` against `schema`; never throws. The error names the first failing field. */
export function parseWith<S extends v.GenericSchema>(schema: S, raw: unknown): WireResult<v.InferOutput<S>> {
  const result = v.safeParse(schema, raw)
  if (result.success) return { ok: true, value: result.output }
  const issue = result.issues[0]
  const where = issue.path?.map((p) => String(p.key)).join('.') ?? ''
  return { ok: false, error: { code: 'invalid', message: `${where ? `${where}: ` : ''}${issue.message}` } }
}
