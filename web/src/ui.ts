/** Tiny DOM helpers: every piece of text goes through textContent, never innerHTML. */

type Attrs = Record<string, string | boolean | undefined | ((ev: Event) => unknown)>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

let ids = 0;
/** A labelled form field: the label is visible and names the control. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLDivElement {
  control.id ||= `f${++ids}`;
  const wrap = h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  if (hint) {
    const hintEl = h('p', { class: 'hint', id: `${control.id}-hint` }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
    wrap.append(hintEl);
  }
  return wrap;
}

/** The header every full page shares. */
export function pageHeader(current: 'home' | 'studio' | 'watch'): HTMLElement {
  const link = (href: string, text: string, here: boolean) =>
    h('a', { href, 'aria-current': here ? 'page' : undefined }, text);
  return h(
    'header',
    { class: 'topbar' },
    h(
      'a',
      { class: 'brand', href: '/' },
      h('span', { class: 'brand-dot', 'aria-hidden': 'true' }),
      'OnAir',
    ),
    h(
      'nav',
      { 'aria-label': 'Main' },
      link('/', 'Live now', current === 'home'),
      link('/studio', 'Studio', current === 'studio'),
    ),
  );
}

export const watching = (n: number) => `${n} watching`;

export function statusBadge(status: string): HTMLSpanElement {
  const text = status === 'live' ? 'Live' : status === 'ended' ? 'Ended' : 'Offline';
  return h('span', { class: `badge badge-${status === 'live' ? 'live' : 'off'}` }, text);
}

export function time(iso: string): string {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** A polite live region for short status messages ("Copied", errors). */
export function notice(): {
  el: HTMLParagraphElement;
  say: (text: string, error?: boolean) => void;
} {
  const el = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    say: (text, error = false) => {
      el.textContent = text;
      el.classList.toggle('notice-error', error);
    },
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function mount(...children: Child[]): HTMLElement {
  const root = document.getElementById('app');
  if (!root) throw new Error('missing #app');
  root.replaceChildren();
  append(root, ...children);
  return root;
}
