// Pinned modules import each other by their pinned names: in production Django hashes their
// file names, which relative imports would miss.
import { label } from "charts/widgets/label"

export function badge(where) {
  return label("charts", `pinned module on the ${where} page`)
}
