// A small tour for unit tests, parsed by the real loader.
import { parseTour } from '../../tour/load'
import type { Tour } from '../../../shared/tour'

export function testTour(extra: { options?: string; floatingIp?: string; gamePort?: number } = {}): Tour {
  const yaml = `
name: test
defaults:
  ssh: { user: root }
hosts:
  - { name: stuttgart, label: S, lat: 48, lon: 9, ssh: { host: 198.51.100.11 } }
  - { name: strasbourg, label: St, lat: 48, lon: 7, ssh: { host: 198.51.100.12 } }
  - { name: montreal, label: M, lat: 45, lon: -73, ssh: { host: 198.51.100.13 } }
container: { id: xonotic, bundle: /srv/globehop/xonotic, gamePort: ${extra.gamePort ?? 26000} }
floatingIp: { address: ${extra.floatingIp ?? '198.51.100.100'} }
hops: [stuttgart, strasbourg, montreal]
${extra.options ?? ''}
`
  return parseTour(yaml, '/tours/test.yaml')
}
