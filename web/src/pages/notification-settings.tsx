// "Pengaturan Pemberitahuan": the resident chooses whether the office may tell them about their
// account and requests on WhatsApp and by e-mail. The password-reset code still goes to the
// registered WhatsApp number: it answers their own request.

import { useState } from "preact/hooks";
import { gql, messageOf } from "../api/client";
import { Alert } from "../components/alert";
import { RequireResident, usePageTitle } from "../components/layout";
import { graphql } from "../gql";
import { resident } from "../lib/session";

const SetNotificationPreferences = graphql(`
  mutation SetNotificationPreferences($whatsapp: Boolean!, $email: Boolean!) {
    setNotificationPreferences(whatsapp: $whatsapp, email: $email) {
      notificationSettings {
        whatsapp
        email
      }
    }
  }
`);

export function NotificationSettings() {
  usePageTitle("Pengaturan Pemberitahuan");
  return (
    <RequireResident>
      <SettingsPage />
    </RequireResident>
  );
}

function SettingsPage() {
  const me = resident.value;
  const [whatsapp, setWhatsapp] = useState(me?.notificationSettings.whatsapp ?? true);
  const [email, setEmail] = useState(me?.notificationSettings.email ?? true);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const reply = await gql(SetNotificationPreferences, { whatsapp, email });
      if (me) resident.value = { ...me, notificationSettings: reply.setNotificationPreferences.notificationSettings };
      setSaved(true);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>Pengaturan Pemberitahuan</h1>
      <p>
        Dinas Dukcapil memberi tahu Anda saat akun diverifikasi, saat dokumen perlu diunggah ulang, dan saat dokumen
        selesai atau siap diambil. Pilih cara Anda ingin diberi tahu.
      </p>
      <form onSubmit={save}>
        <fieldset>
          <legend>Kirim pemberitahuan melalui</legend>
          <label class="option">
            <input type="checkbox" checked={whatsapp} onChange={(e) => setWhatsapp(e.currentTarget.checked)} />
            WhatsApp ke nomor terdaftar{me?.phone ? ` (${me.phone})` : ""}
          </label>
          <label class="option">
            <input
              type="checkbox"
              checked={email && Boolean(me?.email)}
              disabled={!me?.email}
              onChange={(e) => setEmail(e.currentTarget.checked)}
            />
            E-mail{me?.email ? ` ke ${me.email}` : " (Anda tidak mencantumkan alamat e-mail saat mendaftar)"}
          </label>
        </fieldset>
        <p class="small">
          Kode reset kata sandi tetap dikirim ke WhatsApp terdaftar bila Anda memintanya, karena hanya itu jalan kode
          sampai kepada Anda.
        </p>
        <Alert message={error} />
        {saved ? (
          <p class="notice success" role="status">
            Pengaturan pemberitahuan disimpan.
          </p>
        ) : null}
        <p>
          <button type="submit" disabled={busy}>
            {busy ? "Menyimpan…" : "Simpan"}
          </button>{" "}
          <a href="/beranda">Kembali ke Beranda</a>
        </p>
      </form>
    </>
  );
}
