// The site's own module: plain browser ESM, hashed by Django's manifest storage in production.
import React from 'react'
import { createRoot } from 'react-dom/client'

createRoot(document.getElementById('root')).render(
  React.createElement('p', { id: 'hello' }, 'site: React ' + React.version))
