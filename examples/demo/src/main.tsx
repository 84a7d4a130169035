// The demo's entry: TSX with a CSS import. In development `prebundle daemon` serves it
// transformed; `prebundle build` bundles it with hashed names for production.
import { createRoot } from 'react-dom/client'
import { App } from './App'
import './style.css'

createRoot(document.getElementById('root')!).render(<App />)
