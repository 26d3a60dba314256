// The lab's world: the seed tour's four hosts with real coordinates and the link each gets.
// RTTs are the 2017 "Container Migration Around The World" demo's ping column (docs peers.md).

export interface LabHostSpec {
  name: string
  label: string
  lat: number
  lon: number
  /** Address on the lab network. */
  ip: string
  /** Round-trip time from the app's machine the link emulates, ms (half each way). */
  rttMs: number
  /** Uplink and downlink rate in Mbit/s; null = unthrottled (the local host). */
  rateMbit: number | null
}

export const LAB_SUBNET_PREFIX = 24
/** The machine running globehop, on a veth into the lab bridge. */
export const CLIENT_IP = '198.51.100.50'
export const FLOATING_IP = '198.51.100.100'
export const GAME_PORT = 26000
export const CONTAINER_ID = 'xonotic'
/** Bundle path, identical on every host. */
export const BUNDLE_PATH = '/srv/globehop/xonotic'
/** keepalived's vrrp_track_file: 1 on the owner, 0 (FAULT) elsewhere (the tour schema's default). */
export const TRACK_FILE = '/run/globehop/vrrp-owner'
/** Relative runc cgroupsPath: resolved against each machine's own cgroup (see README). */
export const CONTAINER_CGROUP = 'globehop/xonotic'
export const VRRP_ROUTER_ID = 51

export const LAB_HOSTS: readonly LabHostSpec[] = [
  { name: 'stuttgart', label: 'Stuttgart', lat: 48.7758, lon: 9.1829, ip: '198.51.100.11', rttMs: 15, rateMbit: null },
  { name: 'strasbourg', label: 'Strasbourg', lat: 48.5734, lon: 7.7521, ip: '198.51.100.12', rttMs: 50, rateMbit: 10 },
  { name: 'montreal', label: 'Montreal', lat: 45.5019, lon: -73.5674, ip: '198.51.100.13', rttMs: 133, rateMbit: 10 },
  { name: 'singapore', label: 'Singapore', lat: 1.3521, lon: 103.8198, ip: '198.51.100.14', rttMs: 283, rateMbit: 10 },
]

export const LAB_HOPS: readonly string[] = ['stuttgart', 'strasbourg', 'montreal', 'singapore', 'strasbourg']

export function labHost(name: string): LabHostSpec {
  const h = LAB_HOSTS.find((x) => x.name === name)
  if (!h) throw new Error(`unknown lab host "${name}"; hosts are: ${LAB_HOSTS.map((x) => x.name).join(', ')}`)
  return h
}

/** Network namespace names; the prefix marks everything the lab owns. */
export const NETNS_PREFIX = 'ghlab-'
export const BRIDGE_NETNS = `${NETNS_PREFIX}net`
export const hostNetns = (name: string): string => `${NETNS_PREFIX}${name}`
/** veth in the root namespace, the app's way into the lab. */
export const CLIENT_VETH = 'ghlab0'
