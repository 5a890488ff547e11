export { createSignalServer } from './server.ts'
export type { SignalServer, SignalServerOptions } from './server.ts'
