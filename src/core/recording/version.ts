// globehop's own version for recording headers: package.json's, bundled in (vite and tsx both
// inline a JSON import), so it is right in the CLI, the browser host and Electron alike.
import pkg from '../../../package.json' with { type: 'json' }

export const GLOBEHOP_VERSION: string = pkg.version
