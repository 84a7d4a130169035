// The dashboard's own module: plain browser ESM, hashed by Django's manifest storage in production.
import dayjs from 'dayjs'
import relativeTime from 'dayjs/plugin/relativeTime'

dayjs.extend(relativeTime)
document.getElementById('root').innerHTML =
  '<p id="hello">dashboard: ' + dayjs().subtract(3, 'day').fromNow() + '</p>'
