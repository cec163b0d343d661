import type { Page } from "@playwright/test";
import { expect, type Server } from "./server";

// A test cannot read the captcha picture, so it sets the stored answer to one it knows, as a
// person who read the image would know it. The hash is the server's own rule
// (commands/src/captcha.rs `answer_hash`: SHA-256 of the trimmed, lower-cased answer).
const HASH = "sha256(convert_to(lower(trim($1::text)), 'UTF8'))";

/** The answer tests type into captcha fields. */
export const CAPTCHA_ANSWER = "k7m2p";

/** Makes `answer` the right answer of the captcha `captchaId`. */
export async function setCaptchaAnswer(server: Server, captchaId: string, answer = CAPTCHA_ANSWER): Promise<void> {
  const result = await server.db.query(`UPDATE captchas SET answer_hash = ${HASH} WHERE captcha_id = $2::uuid`, [
    answer,
    captchaId,
  ]);
  if (result.rowCount !== 1) {
    throw new Error(`no captcha ${captchaId}`);
  }
}

/**
 * Makes `answer` the right answer of every captcha still live, e.g. the one a page shows (its id
 * is not visible to the test). Returns how many there were.
 */
export async function setAllCaptchaAnswers(server: Server, answer = CAPTCHA_ANSWER): Promise<number> {
  const result = await server.db.query(`UPDATE captchas SET answer_hash = ${HASH} WHERE expires_at > now()`, [answer]);
  return result.rowCount ?? 0;
}

/** The captchas each page has already answered (a captcha answers once, right or wrong). */
const answered = new WeakMap<Page, Set<string>>();

/** The id of the captcha the page shows (`data-captcha-id` on its image). */
async function shownCaptcha(page: Page): Promise<string> {
  const seen = answered.get(page) ?? new Set<string>();
  answered.set(page, seen);
  const image = page.locator("img[data-captcha-id]");
  let id: string | null = null;
  await expect
    .poll(
      async () => {
        id = await image.getAttribute("data-captcha-id");
        return id !== null && !seen.has(id);
      },
      { message: "a new captcha on the page" },
    )
    .toBe(true);
  seen.add(id as unknown as string);
  return id as unknown as string;
}

/**
 * Solves the captcha the page shows, as a person reading it would: waits for a captcha the page
 * has not answered yet, makes `answer` its answer, and types it into the field.
 */
export async function solvePageCaptcha(page: Page, server: Server, answer = CAPTCHA_ANSWER): Promise<void> {
  const id = await shownCaptcha(page);
  await setCaptchaAnswer(server, id, answer);
  await page.getByLabel("Kode keamanan (captcha)").fill(answer);
}

/** Types a wrong answer into the captcha the page shows (which it then spends). */
export async function misreadPageCaptcha(page: Page): Promise<void> {
  await shownCaptcha(page);
  await page.getByLabel("Kode keamanan (captcha)").fill("salah");
}
