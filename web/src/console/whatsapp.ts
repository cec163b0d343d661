// Links that open WhatsApp with a prefilled Indonesian message to a resident.

/** `08…`, `+628…` or `628…` as the digits wa.me wants (`628…`). */
export function whatsappNumber(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  return digits.startsWith("0") ? `62${digits.slice(1)}` : digits;
}

export function whatsappLink(phone: string, message: string): string {
  return `https://wa.me/${whatsappNumber(phone)}?text=${encodeURIComponent(message)}`;
}

/** The sign-in address residents are sent to. */
export function portalAddress(path = "/masuk"): string {
  return `${location.origin}${path}`;
}
