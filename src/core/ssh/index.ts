// The SSH layer's public surface for the rest of the engine.
export { quoteArg, quoteArgv } from './quote'
export { connectRemote, SshRemote, type ConnectRemoteOptions } from './session'
export { connectAll, SshPool, ConnectAllError, type ConnectAllOptions } from './pool'
export { checkHostKey, fingerprint, parseKnownHosts, type HostKeyCheck, type KnownHostEntry } from './known-hosts'
export { loadSshConfig, resolveSshTarget, type SshEndpoint } from './config'
export * from './types'
