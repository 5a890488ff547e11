/**
 * Join codes in the app: the answerer a room page runs for its secret, and the home page's "join by code"
 * with the sentence a person sees when it fails (invite/ holds the protocol).
 */
import { signalUrl } from '../config.ts'
import { CodeAnswerer, type CodeSignaling } from '../invite/answerer.ts'
import { parseCode, type CodeParseError } from '../invite/code.ts'
import { JOIN_FAILURE_TEXT, joinByCode } from '../invite/join.ts'
import { parseRoomHash, roomHash } from '../room/link.ts'
import { browserSocket } from '../signaling/socket.ts'

/** Answers newcomers who type this tab's code with the room's secret, on the room's registration. */
export function answerCodes(signaling: CodeSignaling, secret: string): CodeAnswerer {
  return new CodeAnswerer({
    signaling,
    socket: browserSocket,
    payload: new TextEncoder().encode(secret),
  })
}

const PARSE_TEXT: Record<CodeParseError['kind'], string> = {
  empty: 'Type the code you were given, like 7-tiger-sofa.',
  shape: 'A code is a number and two words, like 7-tiger-sofa.',
  word: '',
}

export type CodeJoin = { ok: true; secret: string } | { ok: false; message: string }

/** Checks what was typed, runs the code exchange, and on success returns the room's secret. */
export async function joinWithCode(text: string): Promise<CodeJoin> {
  const parsed = parseCode(text)
  if (!parsed.ok) {
    const { error } = parsed
    return {
      ok: false,
      message:
        error.kind === 'word'
          ? `“${error.word}” is not one of the code words: check its spelling.`
          : PARSE_TEXT[error.kind],
    }
  }
  const outcome = await joinByCode(parsed.code, {
    signalUrl: signalUrl(localStorage, location),
    socket: browserSocket,
  })
  if (!outcome.ok) return { ok: false, message: JOIN_FAILURE_TEXT[outcome.reason] }
  const secret = parseRoomHash(roomHash(new TextDecoder().decode(outcome.payload)))
  // A member that sends something other than a room secret is not a room.
  if (!secret) return { ok: false, message: JOIN_FAILURE_TEXT.wrong }
  return { ok: true, secret }
}
