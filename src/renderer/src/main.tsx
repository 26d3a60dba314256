import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { api } from './api'
import { App } from './App'
import './styles.css'

const root = document.getElementById('root')!
createRoot(root).render(
  <StrictMode>
    <App api={api} />
  </StrictMode>,
)
