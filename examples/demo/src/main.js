// Plain browser ESM: no JSX, so the page runs straight from the import map.
import React, { useState } from 'react'
import { createRoot } from 'react-dom/client'
import dayjs from 'dayjs'
import relativeTime from 'dayjs/plugin/relativeTime'
import classNames from 'classnames'
import { chunk, sum } from 'lodash-es'

dayjs.extend(relativeTime)
const h = React.createElement
const started = dayjs()

function Counter() {
  const [count, setCount] = useState(0)
  const rows = chunk([1, 2, 3, 4, 5, 6, 7], 3)
  return h('main', { className: classNames('card', { busy: count > 0 }) },
    h('h1', null, 'prebundle demo'),
    h('p', null, `React ${React.version}, page opened ${started.fromNow()}.`),
    h('p', null, `lodash-es: sum of ${JSON.stringify(rows)} is ${sum(rows.flat())}.`),
    h('button', { onClick: () => setCount(count + 1), id: 'count' }, `clicked ${count} times`),
  )
}

createRoot(document.getElementById('root')).render(h(Counter))
