// Light, dark, or as the system says (prefers-color-scheme), remembered in
// this browser (localStorage). The choice sets <html data-theme>, which
// style.css reads.
import htm from "htm";
import { h } from "preact";
import { useState } from "preact/hooks";

const html = htm.bind(h);
const KEY = "shoal-theme";
const THEMES = [
  ["system", "As the system"],
  ["light", "Light"],
  ["dark", "Dark"],
];

function stored() {
  try {
    const t = localStorage.getItem(KEY);
    return THEMES.some(([v]) => v === t) ? t : "system";
  } catch {
    return "system";
  }
}

function apply(theme) {
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

apply(stored());

export function ThemeSwitch() {
  const [theme, setTheme] = useState(stored);
  const choose = (t) => {
    setTheme(t);
    apply(t);
    try {
      localStorage.setItem(KEY, t);
    } catch {
      // A browser that keeps nothing: the choice lasts for this page.
    }
  };
  return html`<label class="theme">Theme
    <select value=${theme} onChange=${(e) => choose(e.currentTarget.value)}>
      ${THEMES.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
    </select>
  </label>`;
}
