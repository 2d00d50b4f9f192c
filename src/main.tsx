import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { loadFromUrl } from './store/urlSync';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// The URL is the state: read it before the first render.
loadFromUrl();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
