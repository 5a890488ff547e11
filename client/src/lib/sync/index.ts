/** Drift-corrected playback sync: pure logic, wired to a transport and a `<video>` by a playback store. */
export * from './clock.ts'
export * from './hlc.ts'
export * from './timeline.ts'
export * from './decide.ts'
export * from './hold.ts'
export * from './player.ts'
export * from './messages.ts'
