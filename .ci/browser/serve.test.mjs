// Drives `cirrhosim serve` in Debian's Chromium with playwright-core: the page loads its sliders,
// draws a curve per strategy and an ICER; moving the price slider reruns the model and changes
// the ICER; a bad input shows the server's message and the server keeps answering.
import { chromium } from "playwright-core";

const url = process.argv[2];
const screenshot = process.argv[3];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
let failed = 0;
// Moves a slider as a user would: set its value (the browser snaps it to the step) and fire "input".
const slide = (page, id, value) =>
  page.locator(`input[id="${id}"]`).evaluate((el, v) => { el.value = v; el.dispatchEvent(new Event("input", { bubbles: true })); }, value);
const check = (ok, what) => { console.log(`${ok ? "ok  " : "FAIL"} - ${what}`); if (!ok) failed++; };
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", e => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("td.icer");
  const curves = await page.locator("polyline.curve").count();
  check(curves === 2, `one survival curve per strategy (${curves})`);
  const before = await page.locator("td.icer").last().textContent();
  const runs = Number(await page.evaluate(() => document.body.dataset.runs));
  const started = Date.now();
  await slide(page, "param:c_msc_infusion", "1000");
  await page.waitForFunction(n => Number(document.body.dataset.runs) > n, runs);
  const elapsed = Date.now() - started;
  const after = await page.locator("td.icer").last().textContent();
  check(before !== after && before.length > 0 && after.length > 0, `moving the price changes the ICER (${before} -> ${after}) in ${elapsed} ms`);
  const pointsBefore = await page.locator("polyline.curve").last().getAttribute("points");
  await slide(page, "param:msc_meld_md_24wk", "-6");
  await page.waitForFunction(n => Number(document.body.dataset.runs) > n + 1, runs);
  const pointsAfter = await page.locator("polyline.curve").last().getAttribute("points");
  check(pointsBefore !== pointsAfter, "a larger MELD shift moves the MSC survival curve");
  // Errors up to here come from normal use; the deliberate bad request below logs its own 400.
  const errorsInUse = [...errors];
  const bad = await page.evaluate(async () => { const r = await fetch("/api/run?start_age=12"); return [r.status, (await r.json()).error]; });
  check(bad[0] === 400 && bad[1].includes("start_age"), `a bad input is refused with its name (${bad[0]}: ${bad[1]})`);
  const notNumber = await page.evaluate(async () => { const r = await fetch("/api/run?param:x=abc"); return [r.status, (await r.json()).error]; });
  check(notNumber[0] === 400 && notNumber[1] === 'query parameter "param:x": "abc" is not a number',
        `a value that is not a number names the query parameter (${notNumber[0]}: ${notNumber[1]})`);
  const again = await page.evaluate(async () => (await fetch("/api/run")).status);
  check(again === 200, "the server keeps answering after a bad request");
  check(errorsInUse.length === 0, `no console errors in normal use (${errorsInUse.join("; ")})`);
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}
console.log(`${failed === 0 ? 1 : 0} passed, ${failed === 0 ? 0 : 1} failed`);
process.exit(failed === 0 ? 0 : 1);
