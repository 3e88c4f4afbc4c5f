// Drives the `veracity serve` page in a real browser (Debian's chromium via
// playwright-core): paste the demo article, press Analyze, wait for the six
// verdicts, check the badges and the evidence, and optionally save a
// screenshot. Usage: VERACITY_URL=http://127.0.0.1:PORT node analyze_page.mjs [shot.png]
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const base = process.env.VERACITY_URL;
if (!base) throw new Error('set VERACITY_URL to the server, e.g. http://127.0.0.1:8080');
const shot = process.argv[2];
const article = readFileSync(new URL('../../examples/demo-article.txt', import.meta.url), 'utf8');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
};
try {
  // A phone-sized viewport: the page is laid out for it.
  const page = await browser.newPage({ viewport: { width: 412, height: 915 }, deviceScaleFactor: 1 });
  await page.goto(base + '/');
  check(await page.title() === 'veracity — analyse an article', 'the page opens');
  await page.fill('#text', article);
  await page.click('#analyze');
  await page.waitForSelector('#report article.claim', { timeout: 240000 });
  const badges = await page.$$eval('#report article.claim .badge', els => els.map(e => e.textContent.trim()));
  const want = ['corroborated', 'verified by reference', 'single source', 'contradicted', 'disputed', 'insufficient evidence'];
  check(badges.length === 6, `six claim cards (${badges.length})`);
  for (const w of want) check(badges.includes(w), `a "${w}" badge`);
  const evidence = await page.$$eval('#report ul.ev li', els => els.length);
  check(evidence >= 5, `evidence items shown (${evidence})`);
  const stances = await page.$$eval('#report .st', els => [...new Set(els.map(e => e.textContent.trim()))]);
  check(stances.includes('supports') && stances.includes('refutes'), `supporting and refuting evidence (${stances.join(', ')})`);
  const more = await page.$$eval('#report details summary', els => els.map(e => e.textContent));
  check(more.some(t => /^\+\d+ more$/.test(t)), `"+N more" (${more.join(', ')})`);
  const score = await page.textContent('#report .card .row strong');
  check(/^\d+%$/.test(score.trim()), `a propaganda score (${score})`);
  const underlined = await page.$$eval('#report .article .cl', els => els.length);
  check(underlined === 6, `claims highlighted in the article text (${underlined})`);
  check(await page.inputValue('#text') === article.replace(/\r\n/g, '\n'), 'the pasted text stays in the form');
  check((await page.textContent('footer')).includes('automatic'), 'the disclaimer');
  const widest = await page.evaluate(() => document.documentElement.scrollWidth);
  check(widest <= 412, `no horizontal scrolling on a phone (${widest}px)`);
  if (shot) {
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  }
} finally {
  await browser.close();
}
if (failed) process.exit(1);
