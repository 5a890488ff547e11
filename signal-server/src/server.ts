// Placeholder replaced by the real server in the next commit.
export interface SignalServerOptions {
  host?: string
  port?: number
  clientDir?: string | null
  logLevel?: string
}
export interface SignalServer {
  listen(): Promise<{ port: number }>
  close(): Promise<void>
}
export function createSignalServer(_options: SignalServerOptions = {}): SignalServer {
  throw new Error('not implemented yet')
}
