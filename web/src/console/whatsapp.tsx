// The "Hubungi via WhatsApp" button. The message and its link come from the server (one text
// per decision, NIK masked), so the console composes none of its own.

export function WhatsappButton({ link, label }: { link: string | null | undefined; label: string }) {
  if (!link) return <span>Nomor WhatsApp tidak tersedia: sampaikan langsung kepada penduduk.</span>;
  return (
    <a class="button whatsapp" href={link} target="_blank" rel="noopener noreferrer">
      {label}
    </a>
  );
}
