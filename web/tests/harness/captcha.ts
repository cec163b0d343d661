import type { Server } from "./server";

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
