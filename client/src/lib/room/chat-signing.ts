import { base64url } from '../random.ts'
import { canonical, fromBase64url, peerIdFor, verify, type Signer, type Bytes } from '../mesh/signing.ts'
import type { ChatSignature } from './chat.ts'
import type { HistoryEntry } from './protocol.ts'

/**
 * Chat lines are signed by their author over the room's document id, the line's id, the author's peer id,
 * name, text and time. Every receiver checks the signature, of a live line with the key its link verified,
 * of a snapshot's history entry with the key it carries (whose hash must be the author's peer id). So no
 * member can put words in another's mouth, live or in a snapshot, nor move a line to another room.
 */
export const CHAT_SIGNATURE_LABEL = 'theatron/chat/v1'

export interface ChatLine {
  documentId: string
  /** The entry id: `<author>:<short id>`. */
  id: string
  from: string
  name: string
  text: string
  at: number
}

export function chatBytes(line: ChatLine): Bytes {
  const { documentId, id, from, name, text, at } = line
  return canonical([CHAT_SIGNATURE_LABEL, documentId, id, from, name, text, at])
}

export async function signChat(signer: Signer, line: ChatLine): Promise<ChatSignature> {
  const sig = await signer.sign(chatBytes(line))
  return { name: line.name, at: line.at, pub: base64url(signer.publicKey), sig: base64url(sig) }
}

/** Whether `sig` is the signature of `line` by the holder of `publicKey`, and that key is the author's. */
export async function verifyChat(line: ChatLine, publicKey: Bytes, sig: string): Promise<boolean> {
  const signature = fromBase64url(sig)
  if (!signature || !line.id.startsWith(`${line.from}:`)) return false
  if ((await peerIdFor(publicKey)) !== line.from) return false
  return verify(publicKey, chatBytes(line), signature)
}

/** A snapshot's history entry, checked against the public key it carries. */
export async function verifyHistoryEntry(documentId: string, entry: HistoryEntry): Promise<boolean> {
  const publicKey = fromBase64url(entry.pub)
  if (!publicKey) return false
  return verifyChat({ documentId, ...entry }, publicKey, entry.sig)
}
