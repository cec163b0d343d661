// A refusal or a failure, in the words the server gave; `role="alert"` so a screen reader
// announces it the moment it appears.

export function Alert({ message }: { message: string | null | undefined }) {
  return message ? (
    <p class="error-message" role="alert">
      {message}
    </p>
  ) : null;
}
