// "Pendaftaran Akun Baru": the account's owner, their password and their three identity
// photos; on success the manual's notice with the WhatsApp link to the verification admin.

import { useState } from "preact/hooks";
import { ApiError, gql, messageOf } from "../api/client";
import { Captcha } from "../components/captcha";
import { ErrorSummary, type FieldErrors, fieldErrorsOf, TextInput } from "../components/fields";
import { IDENTITY_LABELS, IdentityDocuments, useIdentityUploads } from "../components/identity-documents";
import { usePageTitle } from "../components/layout";
import { graphql } from "../gql";
import type { RegisterAccountMutation } from "../gql/graphql";

const RegisterAccount = graphql(`
  mutation RegisterAccount($input: RegisterAccountInput!) {
    registerAccount(input: $input) {
      nikMasked
      message
      whatsapp {
        label
        number
        link
      }
    }
  }
`);

const LABELS: Record<string, string> = {
  nik: "NIK",
  fullName: "Nama lengkap",
  phone: "Nomor HP/WhatsApp",
  email: "E-mail",
  password: "Kata sandi",
  ...IDENTITY_LABELS,
};
const ORDER = [
  "nik",
  "fullName",
  "phone",
  "email",
  "password",
  "identityDocumentKind",
  "identityUploadId",
  "familyCardUploadId",
  "selfieUploadId",
  "captchaAnswer",
];

export function Register() {
  usePageTitle("Pendaftaran Akun Baru");
  const [form, setForm] = useState({ nik: "", fullName: "", phone: "", email: "", password: "" });
  const [showPassword, setShowPassword] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const [receipt, setReceipt] = useState<RegisterAccountMutation["registerAccount"] | null>(null);
  const identity = useIdentityUploads();
  const set = (name: keyof typeof form) => (value: string) => setForm((before) => ({ ...before, [name]: value }));

  if (receipt) return <RegistrationSent receipt={receipt} />;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending) return;
    setSending(true);
    setMessage(undefined);
    setErrors({});
    try {
      const { token, documents } = await identity.send();
      const reply = await gql(RegisterAccount, {
        input: {
          nik: form.nik.trim(),
          fullName: form.fullName,
          phone: form.phone,
          email: form.email.trim() || null,
          password: form.password,
          documents,
          uploadToken: token,
        },
      });
      setReceipt(reply.registerAccount);
      window.scrollTo(0, 0);
    } catch (error) {
      if (error instanceof ApiError) identity.absorb(error);
      setErrors(error instanceof ApiError ? fieldErrorsOf(error.fields) : {});
      setMessage(messageOf(error));
    } finally {
      setSending(false);
    }
  };

  return (
    <>
      <h1>Pendaftaran Akun Baru</h1>
      <p>
        Isi data pemilik akun sesuai KTP-el, lalu unggah foto dokumen pendukung. Setelah terkirim, hubungi Admin
        Verifikasi Akun melalui WhatsApp agar akun Anda diverifikasi sebelum dapat login.
      </p>
      <ErrorSummary message={message} errors={errors} order={ORDER} labels={LABELS} />
      <form onSubmit={submit} noValidate>
        <h2>Data akun</h2>
        <TextInput
          name="nik"
          label="NIK KTP Elektronik"
          hint="16 angka, seperti tertulis pada KTP-el atau Kartu Keluarga."
          inputMode="numeric"
          autocomplete="off"
          maxLength={20}
          value={form.nik}
          onValue={set("nik")}
          error={errors.nik}
        />
        <TextInput
          name="fullName"
          label="Nama lengkap"
          hint="Sesuai KTP-el."
          autocomplete="name"
          maxLength={120}
          value={form.fullName}
          onValue={set("fullName")}
          error={errors.fullName}
        />
        <TextInput
          name="phone"
          label="Nomor HP/WhatsApp aktif"
          hint="Contoh: 0812 3456 7890. Admin menghubungi Anda melalui nomor ini."
          type="tel"
          inputMode="tel"
          autocomplete="tel"
          maxLength={20}
          value={form.phone}
          onValue={set("phone")}
          error={errors.phone}
        />
        <TextInput
          name="email"
          label="E-mail"
          optional
          type="email"
          autocomplete="email"
          maxLength={120}
          value={form.email}
          onValue={set("email")}
          error={errors.email}
        />
        <TextInput
          name="password"
          label="Kata sandi"
          hint="Paling sedikit 8 karakter; digunakan untuk login nantinya. Kalimat pendek yang mudah Anda ingat lebih aman."
          type={showPassword ? "text" : "password"}
          autocomplete="new-password"
          maxLength={128}
          value={form.password}
          onValue={set("password")}
          error={errors.password}
        />
        <label class="checkbox" for="show-password">
          <input
            type="checkbox"
            id="show-password"
            checked={showPassword}
            onChange={(event) => setShowPassword(event.currentTarget.checked)}
          />
          <span>Tampilkan kata sandi</span>
        </label>

        <h2>Foto dokumen pendukung</h2>
        <IdentityDocuments identity={identity} errors={errors} />

        <h2>Kirim</h2>
        {identity.token() ? (
          <p class="hint">Kode keamanan sudah diterima; foto dapat langsung diunggah.</p>
        ) : (
          <Captcha captcha={identity.captcha} error={errors.captchaAnswer} />
        )}
        <button type="submit" class="button" disabled={sending} aria-disabled={sending}>
          {sending ? "Mengirim…" : "Kirim data akun"}
        </button>
      </form>
    </>
  );
}

function RegistrationSent({ receipt }: { receipt: RegisterAccountMutation["registerAccount"] }) {
  usePageTitle("Data Akun Baru Terkirim");
  return (
    <section class="notice success" aria-labelledby="sent-title">
      <h1 id="sent-title" tabIndex={-1}>
        Data akun baru terkirim
      </h1>
      <p>{receipt.message}</p>
      <p>
        NIK terdaftar: <strong>{receipt.nikMasked}</strong>
      </p>
      {receipt.whatsapp.length ? (
        <ul class="contact-list">
          {receipt.whatsapp.map((contact) => (
            <li key={contact.number}>
              <a class="button whatsapp" href={contact.link} rel="noopener noreferrer" target="_blank">
                Hubungi {contact.label} via WhatsApp ({contact.number})
              </a>
            </li>
          ))}
        </ul>
      ) : (
        <p>
          Lihat nomor WhatsApp admin pada halaman <a href="/kontak">Kontak Bantuan</a>.
        </p>
      )}
      <p>
        Setelah akun diverifikasi, Anda dapat <a href="/masuk">masuk (login)</a> dengan NIK dan kata sandi Anda.
      </p>
    </section>
  );
}
