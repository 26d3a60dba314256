// Electron IPC channel names, shared by src/main and src/preload so they cannot drift apart.
export const commandChannel = (name: string): string => `globehop:cmd:${name}`
export const EVENT_CHANNEL = 'globehop:event'
