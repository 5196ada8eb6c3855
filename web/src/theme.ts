// The theme preference: light, dark, or whatever the system prefers.
export type Theme = 'light' | 'dark' | 'system';
const KEY = 'neoforge-theme';

export function getTheme(): Theme {
  const stored = localStorage.getItem(KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

export function applyTheme(theme: Theme = getTheme()) {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}

export function setTheme(theme: Theme) {
  if (theme === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, theme);
  applyTheme(theme);
}

// Another tab changed it.
window.addEventListener('storage', (event) => {
  if (event.key === KEY) applyTheme();
});
