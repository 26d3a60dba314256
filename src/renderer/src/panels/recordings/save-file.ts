// Saves what the page made as a file the user keeps: a Blob behind an <a download>. The same in
// Electron (its download handling) and any browser: the page never asks which host it runs in.
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  a.style.display = 'none'
  document.body.append(a)
  a.click()
  a.remove()
  // The download has its own reference by now; give it a moment before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function saveText(text: string, filename: string, mime: string): void {
  saveBlob(new Blob([text], { type: `${mime};charset=utf-8` }), filename)
}
