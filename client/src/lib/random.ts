/** Random identifiers from crypto.getRandomValues (available outside secure contexts too). */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length))
}

/** base64url without padding: only `[A-Za-z0-9_-]`, which the signal server accepts in ids. */
export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** 128 random bits as 22 base64url characters. */
export function randomId(): string {
  return base64url(randomBytes(16))
}
