import type { Page } from 'playwright-core';

/** Accessibility checks run in the page: what a screen reader or a low-vision user would trip over. */

/** Form controls without an accessible name: a label, aria-label or aria-labelledby. */
export function unlabelledControls(page: Page, within = 'body'): Promise<string[]> {
  return page.evaluate(
    (within) =>
      [...document.querySelectorAll(`${within} :is(input, select, textarea, button)`)]
        .filter((el) => {
          const control = el as HTMLInputElement;
          if (control.type === 'hidden') return false;
          const named =
            (control.labels?.length ?? 0) > 0 ||
            control.getAttribute('aria-label') ||
            control.getAttribute('aria-labelledby') ||
            (el.tagName === 'BUTTON' && (el.textContent ?? '').trim() !== '');
          return !named;
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    within,
  );
}

/** Text whose contrast with the background behind it is under 4.5:1 (WCAG AA for body text). */
export function lowContrast(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r = 0, g = 0, b = 0]: number[]) => {
      const f = (c: number) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    /** The colour behind an element: its own and its ancestors' backgrounds, translucent ones blended. */
    const background = (el: Element | null): number[] => {
      const layers: number[][] = [];
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        const alpha = c.length < 4 ? 1 : (c[3] ?? 1);
        if (alpha === 0) continue;
        layers.push([c[0] ?? 0, c[1] ?? 0, c[2] ?? 0, alpha]);
        if (alpha === 1) break;
      }
      let colour = [255, 255, 255];
      for (const [r = 0, g = 0, b = 0, a = 1] of layers.reverse()) {
        colour = [r * a + (colour[0] ?? 0) * (1 - a), g * a + (colour[1] ?? 0) * (1 - a), b * a + (colour[2] ?? 0) * (1 - a)];
      }
      return colour;
    };
    return [...document.querySelectorAll(selector)].flatMap((el) => {
      const fg = luminance(rgb(getComputedStyle(el).color));
      const bg = luminance(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      return ratio < 4.5 ? [`${el.className} “${(el.textContent ?? '').trim().slice(0, 30)}”: ${ratio.toFixed(2)}`] : [];
    });
  }, selector);
}
