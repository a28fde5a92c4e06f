import { CHROMIUM_PATH, launchChromium } from './support/browser.js';

describe('the browser the console tests drive', () => {
  it('is there: Debian\'s chromium, launched headless with a fresh profile', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent('<main><h1>cloudledger</h1></main>');
      expect(await page.textContent('h1')).toBe('cloudledger');
      expect(browser.version()).toMatch(/^\d+\./);
    } finally {
      await browser.close();
    }
  });

  it('when absent, fails saying so and how to install it, instead of skipping the suite', async () => {
    await expect(launchChromium(`${CHROMIUM_PATH}-not-here`)).rejects.toThrow(/Chromium is not installed at .*-not-here.*apt-get install -y chromium/s);
  });
});
