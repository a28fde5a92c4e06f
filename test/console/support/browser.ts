import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import type { InPage } from './in-page.js';

/** Debian's chromium: the browser-download installers cannot work here, `.ci/run` installs this one with apt-get. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where the tests put the screenshots the README shows. */
export const SCREENSHOTS = resolve(ROOT, 'docs/console');

/**
 * Headless Chromium with a fresh profile (a plain launch makes a temporary one). Fails, loudly,
 * when Chromium is absent: a browser suite that skips itself would pass without testing anything.
 */
export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium is not installed at ${executablePath}, so the console's browser tests cannot run. ` +
        'Install it with `apt-get install -y chromium` (.ci/run does), or point CHROMIUM_PATH at a Chromium binary.',
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A context of its own per person (sessionStorage is per tab, so one signed-in person per context), in UTC so datetime-local means UTC. */
export async function newPerson(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-GB', reducedMotion: 'reduce' });
  const page = await context.newPage();
  return { context, page };
}

/** Opens the console and signs in by pasting the token into the sign-in form, as a person would. */
export async function signIn(page: Page, baseUrl: string, token: string, path = '/console/'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByTestId('signin-token').fill(token);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('whoami').waitFor();
}

/**
 * Signs in without the form (the token into sessionStorage before the console's script runs):
 * for journeys that are not about signing in, and for the benchmark, which must not time the form.
 */
export async function presetToken(context: BrowserContext, token: string): Promise<void> {
  await context.addInitScript((t) => (globalThis as unknown as InPage).sessionStorage.setItem('cloudledger.token', t), token);
}

let axeSource: string | undefined;

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

/** Runs axe-core (its `axe.source`, the file the package ships) in the page: the violations of impact serious or critical, each with the selectors it found. */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // evaluated through the DevTools protocol, which the console's CSP (script-src 'self') rightly
  // refuses to an inline <script>; the page's own CSP stays on, so the tests still catch the
  // console breaking it
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as InPage;
    const { violations } = await axe!.run(document);
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
}

/** A visible, enabled control a person acts with: a button, a link, a form field. */
const ACTIONABLE = 'button:not([disabled]), a[href], input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [role=button], [data-action]';

/**
 * Walks the page with Tab from the top and answers the visible action controls that never got
 * focus (empty when every one is reachable by keyboard), and how many controls it looked for.
 * `within`: only the controls inside it (a modal dialog, which keeps Tab to itself).
 */
export async function unreachableByTab(page: Page, within = 'body'): Promise<{ wanted: number; missed: string[] }> {
  const wanted = await page.evaluate(([scope, selector]) => {
    const { document, getComputedStyle } = globalThis as unknown as InPage;
    for (const element of document.querySelectorAll('[data-kbd]')) element.removeAttribute('data-kbd');
    let n = 0;
    for (const element of document.querySelectorAll(`${scope} :is(${selector})`)) {
      const style = getComputedStyle(element);
      const box = element.getBoundingClientRect();
      if (style.visibility === 'hidden' || style.display === 'none' || box.width === 0 || box.height === 0) continue;
      // a disabled control is out of the Tab order by design (a [data-action] button waiting for input)
      if (element.matches(':disabled') || element.closest('[inert], [aria-hidden="true"]')) continue;
      element.setAttribute('data-kbd', String(n++));
    }
    if (scope === 'body') document.activeElement?.blur();
    return n;
  }, [within, ACTIONABLE] as const);
  const seen = new Set<string>();
  // each control once, plus room for focusable things that are not controls (a scrolling region, the skip link)
  for (let press = 0; press < wanted * 2 + 20 && seen.size < wanted; press++) {
    await page.keyboard.press('Tab');
    const mark = await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.closest('[data-kbd]')?.getAttribute('data-kbd') ?? null);
    if (mark !== null) seen.add(mark);
  }
  const missed = await page.evaluate(
    (seenMarks) =>
      [...(globalThis as unknown as InPage).document.querySelectorAll('[data-kbd]')]
        .filter((e) => !seenMarks.includes(e.getAttribute('data-kbd')!))
        .map((e) => `${e.tagName.toLowerCase()}${e.dataset.testid ? `[data-testid=${e.dataset.testid}]` : ''}${e.dataset.action ? `[data-action=${e.dataset.action}]` : ''} "${(e.textContent ?? '').trim().slice(0, 40)}"`),
    [...seen],
  );
  return { wanted, missed };
}

/**
 * What every page a journey visits must pass: no serious or critical axe violation, every action
 * reachable with Tab (`within` a modal dialog when one is open); then its screenshot, when named,
 * into docs/console/<name>.png.
 */
export async function checkPage(page: Page, screenshot?: string, within?: string): Promise<void> {
  const where = `${new URL(page.url()).pathname}${within ? ` (${within})` : ''}`;
  const violations = await seriousAccessibilityViolations(page);
  if (violations.length > 0) throw new Error(`axe-core found serious or critical violations on ${where}:\n${JSON.stringify(violations, null, 2)}`);
  const { wanted, missed } = await unreachableByTab(page, within);
  if (missed.length > 0) throw new Error(`on ${where}, ${missed.length} of ${wanted} controls never got focus from Tab:\n${missed.join('\n')}`);
  if (screenshot) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // without the focus ring the Tab walk left on its last control
    if (!within) await page.evaluate(() => (globalThis as unknown as InPage).document.activeElement?.blur());
    await page.screenshot({ path: resolve(SCREENSHOTS, `${screenshot}.png`), fullPage: true });
  }
}

/** Presses Tab until `target` has focus, as a keyboard user gets to a control; fails when it never does. */
export async function tabTo(page: Page, target: Locator, maxPresses = 200): Promise<void> {
  for (let press = 0; press < maxPresses; press++) {
    if (await target.evaluate((e) => e === (globalThis as unknown as InPage).document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${String(target)} never got focus after ${maxPresses} presses of Tab`);
}

/** The data-action elements on the page: what a viewer must never see. */
export async function actionsOnPage(page: Page): Promise<string[]> {
  return page.$$eval('[data-action]', (elements) => elements.map((e) => e.getAttribute('data-action') ?? '?'));
}
