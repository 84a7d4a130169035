import dayjs from 'dayjs'

/** Loaded by a dynamic import when the button is clicked: a chunk of its own in the build. */
export function Details() {
  return <p id="more">Loaded on demand at {dayjs().format('HH:mm:ss')}: this module came with import().</p>
}
