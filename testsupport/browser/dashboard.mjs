// The dashboard in a real browser: Debian's chromium, headless, driven by
// playwright-core. Run by handlers/app/tests/dashboard.rs against
// `movierec serve` on 127.0.0.1 with the bundled data:
//
//   node testsupport/browser/dashboard.mjs http://127.0.0.1:PORT OUT_DIR
//
// It checks that the page renders with data in every chart, that choosing a
// user (by id, by a sample link, and N) updates both lists, that the page
// makes no request beyond the app and logs no console error, and that it is
// readable at phone width. Screenshots go to OUT_DIR and are checked not to
// be blank. Prints one JSON report on stdout; exits 1 naming what failed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error("usage: node dashboard.mjs APP_URL OUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const appOrigin = new URL(base).origin;

const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

const browser = await chromium.launch({
  executablePath,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const report = {};
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  const outside = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(appOrigin) && !url.startsWith("data:")) outside.push(url);
  });

  // First load: timing and weight of the page as a browser sees them.
  await page.goto(`${base}/dashboard`, { waitUntil: "load" });
  const timing = await page.evaluate(async () => {
    const nav = performance.getEntriesByType("navigation")[0];
    // the paint entry may be recorded a frame after load
    const paint = await new Promise((resolve) => {
      new PerformanceObserver((list) => {
        const fcp = list.getEntriesByName("first-contentful-paint")[0];
        if (fcp) resolve(fcp);
      }).observe({ type: "paint", buffered: true });
      setTimeout(() => resolve(null), 3000);
    });
    const resources = performance.getEntriesByType("resource");
    return {
      html_bytes: nav.decodedBodySize,
      resource_bytes: resources.reduce((n, r) => n + (r.decodedBodySize || 0), 0),
      resources: resources.length,
      first_contentful_paint_ms: paint ? paint.startTime : null,
      load_event_ms: nav.loadEventEnd,
    };
  });
  report.first_load = timing;
  check(timing.html_bytes + timing.resource_bytes < 300 * 1024, `page weighs ${timing.html_bytes + timing.resource_bytes} bytes, over 300 KB`);
  check(timing.first_contentful_paint_ms !== null && timing.first_contentful_paint_ms < 1000, `first render took ${timing.first_contentful_paint_ms} ms`);

  // Every figure and chart has data.
  const figures = await page.evaluate(() => {
    const count = (sel) => document.querySelectorAll(sel).length;
    const tall = (sel) => [...document.querySelectorAll(sel)].filter((r) => parseFloat(r.getAttribute("height")) > 0).length;
    return {
      counts: [...document.querySelectorAll("#counts .count b")].map((b) => Number(b.textContent.replace(/\D/g, ""))),
      per_day_bars: tall("#chart-per-day rect.mark"),
      value_bars: tall("#chart-values rect.mark"),
      top_movies: count("#chart-top-movies .hbars li"),
      top_genres: count("#chart-top-genres .hbars li"),
      model_points: count("#chart-models circle.mark"),
      samples: [...document.querySelectorAll("a.sample")].map((a) => a.textContent),
    };
  });
  report.figures = figures;
  check(figures.counts.length === 4, "four counts (users, movies, ratings, dead letters)");
  check(figures.counts.slice(0, 3).every((n) => n > 0), `users, movies and ratings counted: ${figures.counts}`);
  check(figures.per_day_bars > 0, "ratings-per-day chart has bars");
  check(figures.value_bars >= 5, "rating-value chart has bars");
  check(figures.top_movies === 10, "ten top recommended movies");
  check(figures.top_genres > 0, "top genres listed");
  check(figures.model_points > 0, "model registry chart has points");
  check(figures.samples.length >= 2, "sample users offered");

  const lists = () =>
    page.evaluate(() => ({
      history_user: document.querySelector("#history")?.dataset.user,
      recommendations_user: document.querySelector("#recommendations")?.dataset.user,
      history: [...document.querySelectorAll("#history tbody tr td:first-child")].map((t) => t.textContent),
      recommendations: [...document.querySelectorAll("#recommendations tbody tr td:nth-child(2)")].map((t) => t.textContent),
      source: document.querySelector("#recommendations .source")?.dataset.source,
    }));
  const first = await lists();
  report.first_user = { user: first.history_user, ratings_shown: first.history.length, recommended: first.recommendations.length, source: first.source };
  check(first.history.length > 0 && first.recommendations.length === 10, "the default user's two lists are filled");
  check(first.history_user === first.recommendations_user, "both lists are of the same user");
  await page.screenshot({ path: join(outDir, "dashboard.png"), fullPage: true });

  // Choose a user by id, with N = 20.
  const target = first.history_user === "1" ? "2" : "1";
  await page.fill('input[name="user"]', target);
  await page.selectOption('select[name="n"]', "20");
  await Promise.all([page.waitForURL(/user=/), page.click('button[type="submit"]')]);
  const second = await lists();
  report.chosen_user = { user: second.history_user, ratings_shown: second.history.length, recommended: second.recommendations.length, source: second.source };
  check(second.history_user === target && second.recommendations_user === target, `choosing user ${target} shows user ${target} in both lists`);
  check(second.recommendations.length === 20, `N=20 gives 20 recommendations, got ${second.recommendations.length}`);
  check(JSON.stringify(second.history) !== JSON.stringify(first.history), "the rating history changed with the user");
  check(JSON.stringify(second.recommendations.slice(0, 10)) !== JSON.stringify(first.recommendations), "the recommendations changed with the user");

  // A sample user with no ratings gets the popular list.
  const newUser = page.locator("a.sample", { hasText: "new user" });
  await Promise.all([page.waitForURL(/user=/), newUser.click()]);
  const third = await lists();
  report.new_user = { user: third.history_user, ratings_shown: third.history.length, recommended: third.recommendations.length, source: third.source };
  check(third.history.length === 0 && third.source === "popular", `a new user has no history and popular recommendations (${third.source})`);
  check(third.recommendations.length === 20, "N is kept when following a sample link");

  // Phone width: nothing wider than the screen, text not shrunk.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 });
  const small = await phone.newPage();
  small.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  await small.goto(`${base}/`, { waitUntil: "load" });
  const fit = await small.evaluate(() => ({
    scroll_width: document.documentElement.scrollWidth,
    body_font_px: parseFloat(getComputedStyle(document.body).fontSize),
  }));
  report.phone = fit;
  check(fit.scroll_width <= 390, `the page is ${fit.scroll_width}px wide on a 390px screen`);
  check(fit.body_font_px >= 14, "body text at least 14px on a phone");
  await small.screenshot({ path: join(outDir, "dashboard-phone.png"), fullPage: true });

  // The screenshots are not blank: many colours, much of the page not background.
  report.screenshots = {};
  for (const name of ["dashboard.png", "dashboard-phone.png"]) {
    const stats = await inspectPng(page, join(outDir, name));
    report.screenshots[name] = stats;
    check(stats.colours > 50 && stats.non_background > 0.05, `${name} looks blank: ${JSON.stringify(stats)}`);
  }

  report.console_errors = consoleErrors;
  report.outside_requests = outside;
  check(consoleErrors.length === 0, `console errors: ${consoleErrors.join(" | ")}`);
  check(outside.length === 0, `requests beyond the app: ${outside.join(" ")}`);
} catch (e) {
  failures.push(`the browser run failed: ${e.stack ?? e}`);
} finally {
  await browser.close();
}

report.failures = failures;
console.log(JSON.stringify(report, null, 2));
if (failures.length) {
  console.error(`dashboard browser test failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}

/// Colours (quantised) and the share of pixels unlike the top-left one, read
/// by drawing the PNG on a canvas in the browser.
async function inspectPng(page, path) {
  const { readFileSync } = await import("node:fs");
  const data = `data:image/png;base64,${readFileSync(path).toString("base64")}`;
  return page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, img.width, img.height).data;
    const colours = new Set();
    let other = 0;
    const [r0, g0, b0] = [px[0], px[1], px[2]];
    for (let i = 0; i < px.length; i += 4) {
      colours.add(((px[i] >> 3) << 10) | ((px[i + 1] >> 3) << 5) | (px[i + 2] >> 3));
      if (Math.abs(px[i] - r0) + Math.abs(px[i + 1] - g0) + Math.abs(px[i + 2] - b0) > 24) other++;
    }
    return { width: img.width, height: img.height, colours: colours.size, non_background: other / (px.length / 4) };
  }, data);
}
