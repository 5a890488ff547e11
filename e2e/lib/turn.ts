import { spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Debian's coturn. */
export const TURNSERVER = '/usr/bin/turnserver'

export interface Coturn {
  /** `turn:127.0.0.1:<port>` URLs for the signal server's TURN_URLS. */
  urls: string[]
  /** Everything coturn logged so far (its allocations among it). */
  log(): string
  stop(): Promise<void>
}

/** A UDP port free on loopback (coturn takes the same number for TCP). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address()
      socket.close(() => resolve(port))
    })
  })
}

/**
 * coturn on loopback with the TURN REST API's shared secret, as docs/deploy.md runs it beside the signal
 * server, minus TLS and plus loopback peers (both browsers relay through 127.0.0.1). No configuration
 * file, its pid file and user database in a temporary directory: it starts the same as root (CI) or not,
 * and whatever system coturn the package may have started does not matter. Resolves once it listens.
 */
export async function startCoturn(secret: string): Promise<Coturn> {
  const port = await freeUdpPort()
  const dir = mkdtempSync(join(tmpdir(), 'theatron-coturn-'))
  const child: ChildProcess = spawn(
    TURNSERVER,
    [
      '-n', // no configuration file
      '--verbose',
      '--log-file=stdout',
      '--simple-log',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=theatron.test',
      '--no-tls',
      '--no-dtls',
      '--allow-loopback-peers',
      '--no-cli',
      '--no-software-attribute',
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--userdb=${join(dir, 'turndb')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(`UDP listener opened on: 127.0.0.1:${port}`)) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', reject)
    void exited.then(() => reject(new Error(`turnserver exited before listening:\n${output}`)))
  })
  return {
    urls: [`turn:127.0.0.1:${port}?transport=udp`],
    log: () => output,
    async stop() {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
