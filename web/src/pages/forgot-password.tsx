// Forgotten password (the manual's FAQ 3): NIK, name and the three photos go to the
// verification admin, who sends a one-time code on WhatsApp; the code is entered on the next page.

import { useState } from "preact/hooks";
import { ApiError, gql, messageOf } from "../api/client";
import { Captcha } from "../components/captcha";
import { ErrorSummary, type FieldErrors, fieldErrorsOf, TextInput } from "../components/fields";
import { IDENTITY_LABELS, IdentityDocuments, useIdentityUploads } from "../components/identity-documents";
import { usePageTitle } from "../components/layout";
import { graphql } from "../gql";

const RequestPasswordReset = graphql(`
  mutation RequestPasswordReset($input: RequestPasswordResetInput!) {
    requestPasswordReset(input: $input)
  }
`);

const LABELS: Record<string, string> = { nik: "NIK", fullName: "Nama lengkap", ...IDENTITY_LABELS };
const ORDER = [
  "nik",
  "fullName",
  "identityDocumentKind",
  "identityUploadId",
  "familyCardUploadId",
  "selfieUploadId",
  "captchaAnswer",
];

export function ForgotPassword() {
  usePageTitle("Lupa Kata Sandi");
  const [nik, setNik] = useState("");
  const [fullName, setFullName] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const [accepted, setAccepted] = useState<string | null>(null);
  const identity = useIdentityUploads();

  if (accepted) {
    return (
      <section class="notice success" aria-labelledby="accepted-title">
        <h1 id="accepted-title">Permintaan terkirim</h1>
        <p>{accepted}</p>
        <p>
          <a class="button" href="/lupa-kata-sandi/kode">
            Saya sudah menerima kode
          </a>
        </p>
      </section>
    );
  }

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending) return;
    setSending(true);
    setErrors({});
    setMessage(undefined);
    try {
      const { token, documents } = await identity.send();
      const reply = await gql(RequestPasswordReset, {
        input: { nik: nik.trim(), fullName, documents, uploadToken: token },
      });
      setAccepted(reply.requestPasswordReset);
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
      <h1>Lupa Kata Sandi</h1>
      <p>
        Buktikan bahwa Anda pemilik akun: kirim NIK, nama lengkap, foto KTP, foto Kartu Keluarga dan foto selfie tegak
        tampak depan. Admin Verifikasi Akun memeriksa data Anda, lalu mengirim kode reset melalui WhatsApp ke nomor yang
        terdaftar.
      </p>
      <p>
        Sudah menerima kode? <a href="/lupa-kata-sandi/kode">Masukkan kode dan kata sandi baru</a>.
      </p>
      <ErrorSummary message={message} errors={errors} order={ORDER} labels={LABELS} />
      <form onSubmit={submit} noValidate>
        <TextInput
          name="nik"
          label="NIK"
          inputMode="numeric"
          autocomplete="username"
          maxLength={20}
          value={nik}
          onValue={setNik}
          error={errors.nik}
        />
        <TextInput
          name="fullName"
          label="Nama lengkap"
          autocomplete="name"
          maxLength={120}
          value={fullName}
          onValue={setFullName}
          error={errors.fullName}
        />
        <IdentityDocuments identity={identity} errors={errors} />
        {identity.token() ? null : <Captcha captcha={identity.captcha} error={errors.captchaAnswer} />}
        <button type="submit" class="button" disabled={sending}>
          {sending ? "Mengirim…" : "Kirim permintaan"}
        </button>
      </form>
    </>
  );
}
