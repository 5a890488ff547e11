/**
 * Join codes: `<nameplate>-<word>-<word>`, e.g. `7-tiger-sofa`, readable aloud and typeable on a TV remote.
 *
 * The nameplate (1–999) only says where to meet: it names a rendezvous document on the signal server
 * (`nameplateDocument`), which the server sees. The two words (8 bits each, 16 in all) are the password
 * of a PAKE (cpace.ts) between the newcomer and the member who shows the code, and never leave the
 * page: someone who does not know them gets one online guess per attempt, and a failed attempt burns the
 * code (answerer.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { base64url } from '../random.ts'

export const NAMEPLATE_MAX = 999

/** 256 short, distinct everyday words: one byte each. */
export const WORDS: readonly string[] = [
  'acorn',
  'actor',
  'agent',
  'alarm',
  'album',
  'alley',
  'amber',
  'angel',
  'ankle',
  'apple',
  'apron',
  'arena',
  'armor',
  'arrow',
  'atlas',
  'attic',
  'award',
  'bacon',
  'badge',
  'bagel',
  'baker',
  'bamboo',
  'banjo',
  'barrel',
  'basil',
  'basket',
  'beach',
  'beacon',
  'beard',
  'bell',
  'bench',
  'berry',
  'bike',
  'bingo',
  'bison',
  'blade',
  'blanket',
  'bloom',
  'blossom',
  'boat',
  'bonnet',
  'book',
  'boot',
  'bottle',
  'bowl',
  'brick',
  'bridge',
  'broom',
  'bubble',
  'bucket',
  'buffalo',
  'butter',
  'button',
  'cabin',
  'cactus',
  'camel',
  'camera',
  'candle',
  'canoe',
  'canvas',
  'canyon',
  'carpet',
  'carrot',
  'castle',
  'cedar',
  'cello',
  'chalk',
  'cheese',
  'cherry',
  'chess',
  'chimney',
  'cider',
  'cinema',
  'circus',
  'clock',
  'cloud',
  'clover',
  'coast',
  'cocoa',
  'coconut',
  'comet',
  'compass',
  'cookie',
  'copper',
  'coral',
  'cotton',
  'cougar',
  'crayon',
  'cricket',
  'crystal',
  'cupcake',
  'curtain',
  'daisy',
  'dancer',
  'delta',
  'desert',
  'diamond',
  'dinner',
  'dolphin',
  'donkey',
  'dragon',
  'drum',
  'eagle',
  'easel',
  'echo',
  'eclipse',
  'elbow',
  'ember',
  'engine',
  'falcon',
  'feather',
  'fern',
  'fiddle',
  'fig',
  'flute',
  'forest',
  'fossil',
  'fountain',
  'fox',
  'garden',
  'garlic',
  'gecko',
  'ginger',
  'glacier',
  'globe',
  'gold',
  'grape',
  'gravel',
  'guitar',
  'hammer',
  'harbor',
  'harp',
  'hazel',
  'helmet',
  'heron',
  'honey',
  'hotel',
  'island',
  'ivory',
  'jacket',
  'jaguar',
  'jasmine',
  'jelly',
  'jungle',
  'kayak',
  'kettle',
  'kiwi',
  'koala',
  'ladder',
  'lagoon',
  'lantern',
  'lemon',
  'lily',
  'lion',
  'lizard',
  'lobster',
  'locket',
  'lotus',
  'magnet',
  'mango',
  'maple',
  'marble',
  'meadow',
  'melon',
  'mirror',
  'mitten',
  'monkey',
  'moose',
  'muffin',
  'mustard',
  'needle',
  'nest',
  'noodle',
  'oasis',
  'ocean',
  'olive',
  'onion',
  'orange',
  'orchid',
  'otter',
  'owl',
  'paddle',
  'panda',
  'paper',
  'parrot',
  'pasta',
  'peach',
  'peanut',
  'pebble',
  'pencil',
  'pepper',
  'piano',
  'pickle',
  'pillow',
  'pilot',
  'pine',
  'pirate',
  'pizza',
  'planet',
  'plum',
  'pocket',
  'pony',
  'potato',
  'pumpkin',
  'puzzle',
  'quilt',
  'rabbit',
  'radio',
  'raisin',
  'raven',
  'ribbon',
  'river',
  'robin',
  'rocket',
  'rose',
  'ruby',
  'saddle',
  'salmon',
  'sandal',
  'satin',
  'scarf',
  'shell',
  'silver',
  'sofa',
  'spider',
  'spoon',
  'squash',
  'star',
  'statue',
  'stone',
  'sugar',
  'summer',
  'sunset',
  'swan',
  'teapot',
  'tiger',
  'toast',
  'tomato',
  'topaz',
  'tulip',
  'tunnel',
  'turtle',
  'umbrella',
  'valley',
  'velvet',
  'violet',
  'violin',
  'walnut',
  'walrus',
  'whale',
  'willow',
  'window',
  'winter',
  'wizard',
  'yogurt',
  'zebra',
]

export interface JoinCode {
  nameplate: number
  words: [string, string]
}

export type CodeParseError = { kind: 'empty' } | { kind: 'shape' } | { kind: 'word'; word: string }

/** `7-tiger-sofa`. */
export function formatCode(code: JoinCode): string {
  return `${code.nameplate}-${code.words[0]}-${code.words[1]}`
}

/**
 * What a person typed, read generously: any case, spaces, dashes or dots between the parts, surrounding
 * blanks. A word not on the list is named in the error, so a typo can be found.
 */
export function parseCode(text: string): { ok: true; code: JoinCode } | { ok: false; error: CodeParseError } {
  const parts = text
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .split(/[\s\-–—_.,]+/)
    .filter((part) => part !== '')
  if (parts.length === 0) return { ok: false, error: { kind: 'empty' } }
  if (parts.length !== 3 || !/^\d{1,3}$/.test(parts[0]!)) return { ok: false, error: { kind: 'shape' } }
  const nameplate = Number(parts[0])
  if (nameplate < 1 || nameplate > NAMEPLATE_MAX) return { ok: false, error: { kind: 'shape' } }
  for (const word of parts.slice(1))
    if (!WORDS.includes(word)) return { ok: false, error: { kind: 'word', word } }
  return { ok: true, code: { nameplate, words: [parts[1]!, parts[2]!] } }
}

/** A fresh code from `random` bytes (crypto.getRandomValues in the app). */
export function randomCode(random: (length: number) => Uint8Array): JoinCode {
  const bytes = random(4)
  const nameplate = (((bytes[0]! << 8) | bytes[1]!) % NAMEPLATE_MAX) + 1
  return { nameplate, words: [WORDS[bytes[2]!]!, WORDS[bytes[3]!]!] }
}

/** The PAKE password: the two words, the nameplate bound in as well. */
export function codePassword(code: JoinCode): Uint8Array {
  return new TextEncoder().encode(formatCode(code))
}

/** The rendezvous document of a nameplate: a hash, in the shape of a room's document id. */
export function nameplateDocument(nameplate: number): string {
  return base64url(sha256(new TextEncoder().encode(`theatron/code/v1/${nameplate}`)).slice(0, 16))
}
