// The SSH layer's public surface for the rest of the engine.
export { quoteArg, quoteArgv, shNeutralCommand } from './quote'
export { connectRemote, SshRemote, type ConnectRemoteOptions } from './session'
export { connectAll, SshPool, ConnectAllError, type ConnectAllOptions } from './pool'
export { checkHostKey, fingerprint, parseKnownHosts, type HostKeyCheck, type KnownHostEntry } from './known-hosts'
export { hostSshOpts, PEER_KNOWN_HOSTS, peerHostKeys, renderPeerKnownHosts, syncPeerKnownHosts, writePeerKnownHosts, writePeerKnownHostsArgv, type PeerHostKey } from './peer-known-hosts'
export { loadSshConfig, resolveSshTarget, type SshEndpoint } from './config'
export * from './types'
