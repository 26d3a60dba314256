// The bulk rate of a host pair as a hop's bytes meet it: from the source, over the host-to-host ssh
// the image and the delta take (its options, its master connection), a file of random bytes in
// RAM pushed to `cat >/dev/null` on the destination, less an empty command's time on the same
// connection. The best of a few tries: the physical limit takes the fastest the link has shown.
import type { Host } from '../src/shared/tour'
import type { Remote } from '../src/core/ssh/types'
import { HOST_SSH_OPTS } from '../src/core/transfer/rsync'

export const BULK_BYTES = 64 * 1024 * 1024

export const BULK_TRIES = 5

export function bulkRateArgv(to: Host, bytes = BULK_BYTES, tries = BULK_TRIES): string[] {
  const script = [
    'a=$1; p=$2; u=$3; n=$4; k=$5',
    `ssh_() { ssh ${HOST_SSH_OPTS.join(' ')} -p "$p" -l "$u" -- "$a" "$@"; }`,
    'f=$(mktemp /dev/shm/globehop-rate.XXXXXX) || exit 1',
    "trap 'rm -f \"$f\"' EXIT",
    'head -c "$n" /dev/urandom >"$f" || exit 1',
    'ssh_ true || exit 1',
    'i=0',
    'while [ "$i" -lt "$k" ]; do',
    '  t0=$(date +%s%N); ssh_ "cat >/dev/null" <"$f" || exit 1',
    '  t1=$(date +%s%N); ssh_ true || exit 1; t2=$(date +%s%N)',
    '  echo "xfer $(( (t1 - t0) / 1000 )) $(( (t2 - t1) / 1000 ))"; i=$((i + 1))',
    'done',
  ].join('\n')
  return ['sh', '-c', script, 'sh', to.address, String(to.ssh.port), to.ssh.user ?? 'root', String(bytes), String(tries)]
}

/** Mbit/s of the fastest try: `xfer <us with the bytes> <us of an empty command>` per line. */
export function parseBulkRate(out: string, bytes = BULK_BYTES): number | null {
  const rates = [...out.matchAll(/^xfer (\d+) (\d+)$/gm)].map((m) => (bytes * 8) / Math.max(Number(m[1]) - Number(m[2]), 1))
  return rates.length ? Math.max(...rates) : null
}

export async function bulkRateMbit(src: Remote, to: Host): Promise<number> {
  const r = await src.run(bulkRateArgv(to), { allowFail: true, timeoutMs: 120_000, log: false })
  const rate = parseBulkRate(r.stdout)
  if (rate === null) throw new Error(`bulk rate ${src.host.name} -> ${to.name}: no figures (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`)
  return rate
}
