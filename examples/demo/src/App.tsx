import { useState, version, type ComponentType } from 'react'
import dayjs from 'dayjs'
import relativeTime from 'dayjs/plugin/relativeTime'
import classNames from 'classnames'
import { chunk, sum } from 'lodash-es'
import logo from './logo.svg'

dayjs.extend(relativeTime)
const started = dayjs()

export function App() {
  const [count, setCount] = useState<number>(0)
  const [Details, setDetails] = useState<ComponentType | null>(null)
  const rows: number[][] = chunk([1, 2, 3, 4, 5, 6, 7], 3)

  async function showDetails() {
    const loaded = await import('./Details') // a separate chunk, loaded on demand
    setDetails(() => loaded.Details)
  }

  return (
    <main className={classNames('card', { busy: count > 0 })}>
      <header>
        <img src={logo} alt="" width={48} height={48} id="logo" />
        <h1>prebundle demo</h1>
      </header>
      <p>React {version}, page opened {started.fromNow()}.</p>
      <p>lodash-es: sum of {JSON.stringify(rows)} is {sum(rows.flat())}.</p>
      <button id="count" onClick={() => setCount(count + 1)}>clicked {count} times</button>{' '}
      <button id="details" onClick={showDetails} disabled={Details !== null}>details</button>
      {Details && <Details />}
    </main>
  )
}
