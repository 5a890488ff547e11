/**
 * The join-code wire: four JSON messages on a signal-server pipe between a newcomer and the member who
 * shows the code (docs/protocols.md, "Join codes"). Nothing on it is secret: shares and tags are public
 * by design (cpace.ts), and the room secret travels sealed under the PAKE's key.
 *
 *   newcomer → answerer  code-hello   {share}
 *   answerer → newcomer  code-reply   {share, tag}        (or code-busy: another attempt is under way)
 *   newcomer → answerer  code-confirm {tag}
 *   answerer → newcomer  code-link    {box, tag}
 */
import * as v from 'valibot'
import { parseJson } from '../wire/parse.ts'
import type { WireResult } from '../wire/result.ts'

/** 32 bytes in base64url (43 characters). */
const Bytes32 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/))
/** The sealed payload: a room secret and its route, a few dozen bytes. */
const Box = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,128}$/))

export const CodeMessage = v.variant('type', [
  v.object({ type: v.literal('code-hello'), v: v.literal(1), share: Bytes32 }),
  v.object({ type: v.literal('code-reply'), share: Bytes32, tag: Bytes32 }),
  v.object({ type: v.literal('code-busy') }),
  v.object({ type: v.literal('code-confirm'), tag: Bytes32 }),
  v.object({ type: v.literal('code-link'), box: Box, tag: Bytes32 }),
])
export type CodeMessage = v.InferOutput<typeof CodeMessage>

/** Longest message accepted, in characters: the largest one is about 200. */
const MAX_MESSAGE = 1024

export function parseCodeMessage(text: string): WireResult<CodeMessage> {
  return parseJson(CodeMessage, text, MAX_MESSAGE)
}
