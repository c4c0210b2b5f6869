import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TestContext } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core; never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';

type Playwright = typeof import('playwright-core');

/** A page whose every request outside {@link OfflinePageOptions.allow} is aborted and kept in `blocked`. */
export interface OfflinePage {
  context: BrowserContext;
  page: Page;
  blocked: string[];
}

export interface OfflinePageOptions {
  viewport: { width: number; height: number };
  /** Whether the page may load this URL; anything else counts as going online. */
  allow: (url: string) => boolean;
}

/**
 * playwright-core and Chromium, or undefined after skipping the test. Missing either fails in CI,
 * where scripts/ci/10-packages.sh installs chromium. Call it before any costly setup.
 */
export function requireBrowser(t: TestContext): Playwright | undefined {
  let playwright: Playwright | undefined;
  try {
    playwright = createRequire(import.meta.url)('playwright-core') as Playwright;
  } catch {
    playwright = undefined;
  }
  const missing = !playwright
    ? 'playwright-core is not installed (npm install)'
    : !existsSync(CHROMIUM)
      ? `${CHROMIUM} is missing (apt-get install chromium)`
      : '';
  if (!missing) return playwright;
  if (process.env.CI === 'true') throw new Error(`${missing}: scripts/ci/10-packages.sh installs chromium`);
  t.skip(missing);
  return undefined;
}

/** Launches Chromium for one test (closed after it) and opens a page that cannot reach the network. */
export async function openOfflinePage(
  t: TestContext,
  playwright: Playwright,
  options: OfflinePageOptions,
): Promise<OfflinePage> {
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: options.viewport });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    if (options.allow(route.request().url())) return route.continue();
    blocked.push(route.request().url());
    return route.abort();
  });
  return { context, page: await context.newPage(), blocked };
}

/** How far the page scrolls sideways, run in the browser (kitt compiles without the DOM's types). */
export const sidewaysOverflow = () => {
  const root = (
    globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
  ).document.documentElement;
  return root.scrollWidth - root.clientWidth;
};
