/**
 * Debian's real nginx in front of test instances, running the repository's `deploy/nginx.conf` with
 * only its addresses, ports and certificate paths replaced: what the tests exercise is what
 * docs/deploy.md tells operators to install. Not a daemon, with its own prefix in a temp directory.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, ROOT } from './cluster-helpers.ts'

export const NGINX = process.env.NGINX ?? '/usr/sbin/nginx'
export const DEPLOY_CONF = join(ROOT, 'deploy/nginx.conf')
/** The self-signed certificate for localhost/127.0.0.1 the TLS tests use (test data). */
export const TEST_CERT = join(ROOT, 'signal-server/test/fixtures/localhost-cert.pem')
export const TEST_KEY = join(ROOT, 'signal-server/test/fixtures/localhost-key.pem')

/** deploy/nginx.conf with the given upstream ports, HTTPS and HTTP ports on 127.0.0.1, and the test certificate. */
export function renderDeployConf(upstreams: number[], httpsPort: number, httpPort: number): string {
  const conf = readFileSync(DEPLOY_CONF, 'utf8')
  const servers = upstreams.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=10s;`)
  const rendered = conf
    .replace(/^(\s*server )10\.0\.0\.\d+:8080 .*\n/gm, () => '')
    .replace(/(upstream theatron \{\n(?:\s*#.*\n)*)/, `$1${servers.join('\n')}\n`)
    .replace(/^\s*listen \[::\]:\d+( ssl)?;\n/gm, '')
    .replace(/listen 443 ssl;/, `listen 127.0.0.1:${httpsPort} ssl;`)
    .replace(/listen 80;/, `listen 127.0.0.1:${httpPort};`)
    .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${TEST_CERT};`)
    .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${TEST_KEY};`)
  for (const needle of ['10.0.0.', '/etc/letsencrypt', 'listen 443', 'listen 80;']) {
    if (rendered.includes(needle)) throw new Error(`deploy/nginx.conf changed shape: ${needle} left over`)
  }
  return rendered
}

export interface Nginx {
  readonly port: number
  /** https://127.0.0.1:port */
  readonly url: string
  stop(): Promise<void>
}

const running = new Set<Nginx>()

export async function startNginx(upstreams: number[]): Promise<Nginx> {
  const [httpsPort, httpPort] = [await freePort(), await freePort()]
  const prefix = mkdtempSync(join(tmpdir(), 'theatron-nginx-'))
  writeFileSync(join(prefix, 'theatron.conf'), renderDeployConf(upstreams, httpsPort, httpPort))
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(prefix, kind)};`)
    .join('\n')
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
${temp}
  include ${join(prefix, 'theatron.conf')};
}
`,
  )
  const child: ChildProcess = spawn(
    NGINX,
    ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit')
  // Ready once it accepts connections on its port.
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`nginx exited: ${stderr}${readFileSync(join(prefix, 'error.log'), 'utf8')}`)
    }
    if (await accepts(httpsPort)) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const nginx: Nginx = {
    port: httpsPort,
    url: `https://127.0.0.1:${httpsPort}`,
    async stop() {
      running.delete(nginx)
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await exited
      }
      rmSync(prefix, { recursive: true, force: true })
    },
  }
  running.add(nginx)
  return nginx
}

export async function stopNginx(): Promise<void> {
  await Promise.all([...running].map((nginx) => nginx.stop()))
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
