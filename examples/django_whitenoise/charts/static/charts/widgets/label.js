export function label(owner, text) {
  return `${owner}: ${text}`
}
