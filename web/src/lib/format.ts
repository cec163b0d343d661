// Dates and times as residents read them: "Rabu, 2 Desember 2026 pukul 16.00 WIB". The office
// is in Kapuas Hulu (West Kalimantan), on WIB whatever the phone's own zone.

const OFFICE_ZONE = "Asia/Pontianak";

const dateTime = new Intl.DateTimeFormat("id-ID", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: OFFICE_ZONE,
});
const date = new Intl.DateTimeFormat("id-ID", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  timeZone: OFFICE_ZONE,
});
const time = new Intl.DateTimeFormat("id-ID", { hour: "2-digit", minute: "2-digit", timeZone: OFFICE_ZONE });

/** "Rabu, 2 Desember 2026 pukul 16.00 WIB". */
export function formatDateTime(iso: string | Date): string {
  return `${dateTime.format(new Date(iso))} WIB`;
}

/** "Rabu, 2 Desember 2026". */
export function formatDate(iso: string | Date): string {
  return date.format(new Date(iso));
}

/** "16.00 WIB". */
export function formatTime(iso: string | Date): string {
  return `${time.format(new Date(iso))} WIB`;
}

/** "1,2 MB" / "350 KB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024)
    return `${(bytes / (1024 * 1024)).toLocaleString("id-ID", { maximumFractionDigits: 1 })} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
