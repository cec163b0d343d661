// The idempotency key of a form being sent: kept in sessionStorage, so a resident whose link
// drops (or whose page reloads) and who presses Kirim again sends the same key and gets the
// same request, never a second one. A new key is made only after a success.

const PREFIX = "kirim:";

/** The key for `scope` (e.g. a service code), made on first use. */
export function idempotencyKey(scope: string): string {
  const stored = sessionStorage.getItem(PREFIX + scope);
  if (stored) return stored;
  const key = randomKey();
  sessionStorage.setItem(PREFIX + scope, key);
  return key;
}

/** Forgets the key after the form was accepted. */
export function forgetIdempotencyKey(scope: string): void {
  sessionStorage.removeItem(PREFIX + scope);
}

function randomKey(): string {
  // randomUUID needs a secure context; getRandomValues does not (a plain-http test install).
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
