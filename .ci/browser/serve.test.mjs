// Drives `cirrhosim serve` in Debian's Chromium with playwright-core: the page loads its sliders
// and draws, per strategy, a survival curve (with the difference panel), occupancy, ten patient
// paths and the CE plane point; moving a slider reruns the model and changes the numbers and the
// drawing; stepping and playing advance the state diagram; any parameter can be put on a slider;
// the address bar keeps the settings and a reset restores the scenario; a bad input shows the
// server's message and the server keeps answering. Screenshots go to the folder given.
import { chromium } from "playwright-core";

const url = process.argv[2];
const shots = process.argv[3];
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
const runs = page => page.evaluate(() => Number(document.body.dataset.runs || 0));
const after = (page, n) => page.waitForFunction(n => Number(document.body.dataset.runs) > n, n);
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", e => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("td.icer");
  check(await page.locator("polyline.curve").count() === 2, "one survival curve per strategy");
  check(await page.locator("polyline.diff").count() === 1, "a difference-in-survival curve");
  check(await page.locator("svg.occupancy").count() === 2, "stacked occupancy per strategy");
  const segments = await page.locator("rect.segment").count();
  check(segments >= 20, `ten patients' paths per strategy (${segments} segments)`);
  check(await page.locator("circle.ce-point").count() === 1, "the CE plane point");

  // The price: the ICER and the CE plane point move; the address bar keeps the setting.
  const icer0 = await page.locator("td.icer").last().textContent();
  const point0 = await page.locator("circle.ce-point").getAttribute("cy");
  let n = await runs(page);
  const started = Date.now();
  await slide(page, "param:c_msc_infusion", "1000");
  await after(page, n);
  const elapsed = Date.now() - started;
  const icer1 = await page.locator("td.icer").last().textContent();
  check(icer0 !== icer1 && icer0.length > 0 && icer1.length > 0, `moving the price changes the ICER (${icer0} -> ${icer1}) in ${elapsed} ms`);
  check(point0 !== await page.locator("circle.ce-point").getAttribute("cy"), "and moves the CE plane point");
  const search = await page.evaluate(() => decodeURIComponent(location.search));
  const price = await page.locator('input[id="param:c_msc_infusion"]').inputValue();
  check(search.includes(`param:c_msc_infusion=${price}`), `the address bar keeps the setting (${search})`);

  // The effect: survival, its difference and the deaths averted change.
  const curve0 = await page.locator("polyline.curve").last().getAttribute("points");
  const diff0 = await page.locator("polyline.diff").getAttribute("points");
  const averted0 = await page.locator("td.averted").first().textContent();
  n = await runs(page);
  await slide(page, "param:msc_meld_md_24wk", "-6");
  await after(page, n);
  check(curve0 !== await page.locator("polyline.curve").last().getAttribute("points"), "a larger MELD shift moves the MSC survival curve");
  check(diff0 !== await page.locator("polyline.diff").getAttribute("points"), "and the difference panel");
  const averted1 = await page.locator("td.averted").first().textContent();
  check(averted0 !== averted1, `and the deaths averted by year 1 (${averted0} -> ${averted1} per 1,000)`);

  // The state diagram steps and plays cycle by cycle.
  const share0 = await page.locator("#diagram text.share").allTextContents();
  await page.click("#step");
  await page.click("#step");
  const cycle = await page.evaluate(() => document.body.dataset.cycle);
  const share2 = await page.locator("#diagram text.share").allTextContents();
  check(cycle === "2" && share0.join() !== share2.join(), `stepping advances the diagram (cycle ${cycle}: ${share0.join(" ")} -> ${share2.join(" ")})`);
  check(await page.locator("#diagram text.flow").count() > 0, "the diagram labels the flows of the cycle");
  await page.click("#play");
  await page.waitForFunction(() => Number(document.body.dataset.cycle) >= 8);
  await page.click("#play");
  const played = Number(await page.evaluate(() => document.body.dataset.cycle));
  check(played >= 8, `playing animates the diagram (to cycle ${played})`);
  await page.screenshot({ path: `${shots}/serve.png`, fullPage: true });

  // Any parameter on a slider: the utility of decompensated cirrhosis changes the QALYs.
  const options = await page.locator("#add-parameter option").count();
  check(options > 10, `every parameter can be chosen (${options - 1} in the list)`);
  n = await runs(page);
  await page.selectOption("#add-parameter", "param:u_decomp");
  await page.waitForSelector('input[id="param:u_decomp"]');
  await after(page, n);
  const qaly0 = await page.locator("#result tr").nth(1).locator("td").nth(2).textContent();
  n = await runs(page);
  await slide(page, "param:u_decomp", "0.3");
  await after(page, n);
  const qaly1 = await page.locator("#result tr").nth(1).locator("td").nth(2).textContent();
  check(qaly0 !== qaly1, `a parameter put on a slider changes the numbers (QALYs ${qaly0} -> ${qaly1})`);

  // A shared link opens as it was left.
  const shared = await page.evaluate(() => location.href);
  const slid = await page.locator('input[id="param:u_decomp"]').inputValue();
  const icerShared = await page.locator("td.icer").last().textContent();
  const second = await browser.newPage();
  second.on("pageerror", e => errors.push(String(e)));
  await second.goto(shared);
  await second.waitForSelector("td.icer");
  await second.waitForFunction(() => Number(document.body.dataset.runs) >= 1);
  const restored = await second.locator('input[id="param:u_decomp"]').inputValue();
  check(restored === slid && await second.locator("td.icer").last().textContent() === icerShared,
        `the link restores the sliders and the result (u_decomp ${restored}, ICER ${icerShared})`);
  await second.close();

  // Reset: the scenario's values, an empty address bar, the first ICER again.
  n = await runs(page);
  await page.click("#reset");
  await after(page, n);
  const reset = await page.locator("td.icer").last().textContent();
  check(reset === icer0 && await page.evaluate(() => location.search) === "", `reset restores the scenario (ICER ${reset})`);

  // Errors up to here come from normal use; the deliberate bad requests below log their own 400s.
  const errorsInUse = [...errors];
  const bad = await page.evaluate(async () => { const r = await fetch("/api/run?start_age=12"); return [r.status, (await r.json()).error]; });
  check(bad[0] === 400 && bad[1].includes("start_age"), `a bad input is refused with its name (${bad[0]}: ${bad[1]})`);
  const notNumber = await page.evaluate(async () => { const r = await fetch("/api/run?param:x=abc"); return [r.status, (await r.json()).error]; });
  check(notNumber[0] === 400 && notNumber[1] === 'query parameter "param:x": "abc" is not a number',
        `a value that is not a number names the query parameter (${notNumber[0]}: ${notNumber[1]})`);
  const post = await page.evaluate(async () => (await fetch("/api/run", { method: "POST", body: "x" })).status);
  check(post === 405, `only GET is answered (POST: ${post})`);
  const again = await page.evaluate(async () => (await fetch("/api/run")).status);
  check(again === 200, "the server keeps answering after a bad request");
  check(errorsInUse.length === 0, `no console errors in normal use (${errorsInUse.join("; ")})`);
  await page.screenshot({ path: `${shots}/serve-reset.png`, fullPage: true });
} finally {
  await browser.close();
}
console.log(`${failed === 0 ? 1 : 0} passed, ${failed === 0 ? 0 : 1} failed`);
process.exit(failed === 0 ? 0 : 1);
