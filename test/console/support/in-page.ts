/**
 * The few browser globals the functions run inside the page use (`page.evaluate`, init scripts).
 * The project is a Node project without the DOM lib, so they are typed here, for those functions
 * only, rather than globally: `const { document } = globalThis as unknown as InPage;`. Type-only:
 * the functions are sent to the browser as source, nothing from this module may run inside them.
 */
export interface InPageElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  closest(selector: string): InPageElement | null;
  matches(selector: string): boolean;
  getBoundingClientRect(): { readonly width: number; readonly height: number };
  blur(): void;
}

export interface InPage {
  readonly document: {
    readonly activeElement: InPageElement | null;
    querySelector(selector: string): InPageElement | null;
    querySelectorAll(selector: string): Iterable<InPageElement>;
  };
  readonly performance: { now(): number; getEntriesByType(type: 'resource'): { readonly name: string; readonly responseEnd: number }[] };
  readonly sessionStorage: { setItem(key: string, value: string): void };
  readonly MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, unknown>): void; disconnect(): void };
  getComputedStyle(element: InPageElement): { readonly visibility: string; readonly display: string };
  axe?: { run(context: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[] }> };
  /** Set by the bench's init script: when the awaited selector first matched, in ms since navigation start. */
  __renderedAt?: number;
}
