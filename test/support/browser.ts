// The real browser the UI tests drive: Debian's chromium through playwright-core (no browser download), the web app
// built from source first, an accessibility check with axe-core inside the page, and screenshots for the README.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { REPO } from "./processes.ts";

export const CHROMIUM = "/usr/bin/chromium";

/** Builds ui-panel/dist from the current source, so a test never drives a stale build. */
export function buildPanel(): void {
  execFileSync("npx", ["vite", "build", "ui-panel", "--logLevel", "warn"], { cwd: REPO, stdio: "inherit" });
}

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: the tests run as root, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
}

/** A wall panel's screen: 1280×800, touch. */
export async function panelPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true, locale: "vi-VN" });
  // Well inside a test's own time-out, so a wait that fails says what it waited for.
  context.setDefaultTimeout(10_000);
  return context.newPage();
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The page's serious and critical accessibility violations (axe-core's WCAG 2.x A/AA rules), as "rule: target". */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe;
    interface AxeResults {
      violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
    }
    const results = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } });
    return results.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node.target.join(" ")}`));
  });
}

/**
 * A screenshot for the README (docs/) when RC_SCREENSHOTS=1, so an ordinary test run leaves the work tree clean;
 * otherwise into the test's own folder.
 */
export async function screenshot(page: Page, name: string, scratchDir: string): Promise<void> {
  const dir = process.env.RC_SCREENSHOTS === "1" ? join(REPO, "docs") : scratchDir;
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

/** Text that does not fit its box (wider than it, or cut off), as "tag: text": the panel at 1280×800 has none. */
export function overflowingText(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLElement>(
        "main button, main h1, main h2, main p, main li, main td, main th, .lamp",
      ),
    ]
      .filter(
        (element) => element.scrollWidth > element.clientWidth + 1 || element.scrollHeight > element.clientHeight + 1,
      )
      .map((element) => `${element.tagName.toLowerCase()}: ${element.textContent?.trim().slice(0, 60)}`),
  );
}
