// import.meta.env as vite replaces it at build time: DEV is true only in `electron-vite dev` bundles.
interface ImportMetaEnv {
  readonly DEV: boolean
}
interface ImportMeta {
  readonly env: ImportMetaEnv
}
