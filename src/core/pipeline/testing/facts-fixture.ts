// HostFacts as the lab's hosts report them (userfaultfd yes, soft-dirty no), for unit tests.
import type { HostFacts } from '../facts'

export function labFacts(host: string, over: Partial<HostFacts> = {}): HostFacts {
  return {
    host,
    reachable: { ok: true, detail: 'connected' },
    runtimeVersion: '1.3.6',
    runtimeProblem: null,
    criuVersion: [4, 2, 1],
    kernel: '6.18.44',
    criuCheck: { ok: true, detail: 'Looks good.' },
    dirtyTrack: { ok: false, detail: 'Dirty tracking is OFF. Memory snapshot will not work.' },
    uffd: { ok: true, detail: 'UFFD is supported' },
    rsync: { ok: true, detail: 'rsync version 3.5.1', zstd: true },
    bundle: { ok: true, detail: 'ok', configSha: 'c1', configShaNoCgroup: 'c1', rootfs: 'r1' },
    images: null,
    diskFreeBytes: 80e9,
    keepalived: true,
    holdsIp: false,
    container: 'absent',
    containerRssBytes: null,
    nonlocalBind: true,
    pipeMaxSize: 1048576,
    hugePages: 'always',
    deltaTools: { ok: true, detail: 'perl, gzip, cksum', missing: [], zstd: false },
    shm: { tmpfs: true, availBytes: 12e9, memAvailBytes: 23e9 },
    freePageReporting: false,
    ...over,
  }
}
