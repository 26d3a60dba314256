// A minimal ssh2 client for lab tests: strict host key checking against a known_hosts file
// (plain entries: "name[,name...] type base64key"), key auth, one command at a time.
import { readFileSync } from 'node:fs'
import { Client } from 'ssh2'

export function knownKeys(file: string, host: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && f[0]!.split(',').includes(host))
    .map((f) => f[2]!)
}

export interface LabSsh {
  exec(command: string, stdin?: Buffer): Promise<{ code: number; stdout: Buffer; stderr: string }>
  end(): void
}

export function connectStrict(o: { host: string; privateKeyFile: string; knownHostsFile: string; user?: string }): Promise<LabSsh> {
  const allowed = knownKeys(o.knownHostsFile, o.host)
  const client = new Client()
  return new Promise((resolve, reject) => {
    client
      .on('ready', () =>
        resolve({
          exec: (command, stdin) =>
            new Promise((res, rej) => {
              client.exec(command, (err, ch) => {
                if (err) return rej(err)
                const out: Buffer[] = []
                let errText = ''
                ch.on('data', (d: Buffer) => out.push(d))
                ch.stderr.on('data', (d: Buffer) => (errText += d.toString()))
                ch.on('close', (code: number | null) => res({ code: code ?? -1, stdout: Buffer.concat(out), stderr: errText }))
                ch.end(stdin)
              })
            }),
          end: () => client.end(),
        }),
      )
      .on('error', reject)
      .connect({
        host: o.host,
        port: 22,
        username: o.user ?? 'root',
        privateKey: readFileSync(o.privateKeyFile),
        readyTimeout: 15_000,
        // Strict: the key the server shows must be the one in known_hosts.
        hostVerifier: (key: Buffer) => allowed.includes(key.toString('base64')),
      })
  })
}
