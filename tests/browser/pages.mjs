// The pages of `quarry serve` driven in a real headless Chromium through playwright-core, as a
// researcher uses them: type a query, press Enter, click a facet, filter by date, open a passage,
// copy its citation; with the keyboard and at a phone's width; on an index holding a hostile
// document. Screenshots go to the folder given.
//
//   node tests/browser/pages.mjs http://127.0.0.1:PORT OUT_DIR
//
// tests/it/serve.rs starts the server on its fixture corpus and runs this; every check that
// fails is printed, and the exit code is 1. CHROMIUM names the browser (default
// /usr/bin/chromium).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, out] = process.argv.slice(2);
if (!base || !out) {
  console.error("usage: node pages.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  // Anything a hostile document could make run shows up as a dialog, and the policy's
  // refusals as console errors.
  const dialogs = [];
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  const consoleErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });

  // The front page; "/" anywhere brings the query box back.
  await page.goto(`${base}/`);
  check((await page.locator("input[name=q]").getAttribute("aria-label")) !== null, "the query box has a label");
  await page.screenshot({ path: join(out, "home.png") });

  // Type a query and press Enter.
  await page.locator("input[name=q]").fill("quokka");
  await Promise.all([page.waitForURL(/[?&]q=quokka/), page.locator("input[name=q]").press("Enter")]);
  const hits = page.locator("article.hit");
  check((await hits.count()) > 0, "typing a query and pressing Enter lists hits");
  check((await page.locator("article.hit mark").first().textContent())?.toLowerCase() === "quokka", "the query's words are highlighted");
  check(await page.locator("text=<script>alert(1)</script> quokka").first().isVisible(), "a hostile title is shown as text");
  check(await page.locator("summary", { hasText: "Syntax" }).isVisible(), "the syntax help is one click away");
  await page.locator("summary", { hasText: "Syntax" }).click();
  check(await page.locator("details.help li").first().isVisible(), "the syntax help opens");
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("/");
  check(await page.evaluate(() => document.activeElement?.getAttribute("name") === "q"), "'/' focuses the query box");
  await page.screenshot({ path: join(out, "search.png"), fullPage: true });

  // Click a facet: the results narrow, the URL holds the filter, and it can be removed.
  const summary = async (p) => (await p.locator("p.summary").textContent())?.split("·")[0].trim();
  const before = await summary(page);
  const facet = page.locator("aside.facets a[href*='publisher=']").first();
  const facetValue = (await facet.textContent())?.trim();
  await Promise.all([page.waitForURL(/publisher=/), facet.click()]);
  check(page.url().includes("publisher="), `clicking the facet '${facetValue}' puts it in the URL`);
  check((await page.locator("aside.facets a.on", { hasText: "✕" }).count()) === 1, "the active filter shows, removable");
  const after = await summary(page);
  check(before !== after, `the facet narrows the results (${before} → ${after})`);
  await page.screenshot({ path: join(out, "facet.png"), fullPage: true });
  // Bookmarkable: the same URL in a new tab shows the same page.
  const tab = await context.newPage();
  await tab.goto(page.url());
  check((await summary(tab)) === after, "the URL holds the whole state");
  await tab.close();
  await Promise.all([page.waitForURL((u) => !u.searchParams.has("publisher")), page.locator("aside.facets a.on", { hasText: "✕" }).click()]);
  check(!page.url().includes("publisher="), "removing the filter restores the search");

  // A date range through the form, with the keyboard.
  await page.locator("form.dates input[name=since]").fill("2019");
  await Promise.all([page.waitForURL(/since=2019/), page.locator("form.dates input[name=since]").press("Enter")]);
  check(page.url().includes("q=quokka") && page.url().includes("since=2019"), "the date range keeps the query");
  await page.goto(`${base}/?q=quokka`);

  // Group by document, and back.
  await Promise.all([page.waitForURL(/group=doc/), page.locator("a", { hasText: "group by document" }).click()]);
  check((await page.locator("div.document").count()) > 0, "grouping lists documents");
  await page.goto(`${base}/?q=data`);

  // Open a passage and copy its citation.
  const first = page.locator("article.hit h3 a").first();
  const title = (await first.textContent())?.trim();
  await Promise.all([page.waitForURL(/\/passage\//), first.click()]);
  check((await page.locator("h1").textContent())?.trim() === title, "the passage view opens under its document's title");
  const copy = page.locator("button[data-copy=cite]");
  check(await copy.isVisible(), "the copy button shows when script runs");
  await copy.click();
  await page.waitForFunction(() => document.querySelector("button[data-copy=cite]")?.textContent !== "Copy citation");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  const cite = await page.locator("#cite").textContent();
  check(copied === cite && copied.length > 10, `the citation is on the clipboard: ${copied}`);
  check((await page.locator("dl.meta dt", { hasText: "Passage id" }).count()) === 1, "every metadata field is listed");
  await page.screenshot({ path: join(out, "passage.png"), fullPage: true });

  // A phone's width: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/?q=data`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the search page fits a phone's width (overflow ${overflow}px)`);
  await page.screenshot({ path: join(out, "search-phone.png"), fullPage: true });

  // The hostile document's own page.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/?q=quokka`);
  await Promise.all([page.waitForURL(/\/passage\//), page.locator("article.hit h3 a").first().click()]);
  const links = await page.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href") || ""));
  check(!links.some((h) => h.toLowerCase().startsWith("javascript")), "no link runs script");
  check(dialogs.length === 0, `no document's script ran (dialogs: ${JSON.stringify(dialogs)})`);
  check(consoleErrors.length === 0, `no errors in the console (${JSON.stringify(consoleErrors)})`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("all checks passed");
