// The second half of a forgotten password: the one-time code from the admin and a new password.

import { useState } from "preact/hooks";
import { ApiError, gql, messageOf } from "../api/client";
import { ErrorSummary, type FieldErrors, fieldErrorsOf, TextInput } from "../components/fields";
import { usePageTitle } from "../components/layout";
import { graphql } from "../gql";

const CompletePasswordReset = graphql(`
  mutation CompletePasswordReset($nik: String!, $code: String!, $newPassword: String!) {
    completePasswordReset(nik: $nik, code: $code, newPassword: $newPassword)
  }
`);

const LABELS = { nik: "NIK", code: "Kode reset", newPassword: "Kata sandi baru" };

export function ResetPassword() {
  usePageTitle("Kata Sandi Baru");
  const [form, setForm] = useState({ nik: "", code: "", newPassword: "" });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const [done, setDone] = useState(false);
  const set = (name: keyof typeof form) => (value: string) => setForm((before) => ({ ...before, [name]: value }));

  if (done) {
    return (
      <section class="notice success" aria-labelledby="done-title">
        <h1 id="done-title">Kata sandi sudah diganti</h1>
        <p>Silakan masuk dengan kata sandi baru Anda. Sesi lain pada akun ini sudah diakhiri.</p>
        <p>
          <a class="button" href="/masuk">
            Login
          </a>
        </p>
      </section>
    );
  }

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending) return;
    const missing: FieldErrors = {};
    if (!form.nik.trim()) missing.nik = "Masukkan NIK Anda.";
    if (!form.code.trim()) missing.code = "Masukkan kode dari admin.";
    if (!form.newPassword) missing.newPassword = "Masukkan kata sandi baru.";
    setErrors(missing);
    if (Object.keys(missing).length) {
      setMessage("Lengkapi isian yang ditandai.");
      return;
    }
    setSending(true);
    try {
      await gql(CompletePasswordReset, { nik: form.nik.trim(), code: form.code.trim(), newPassword: form.newPassword });
      setDone(true);
    } catch (error) {
      const fields = error instanceof ApiError ? fieldErrorsOf(error.fields) : {};
      if (error instanceof ApiError && error.code.startsWith("PASSWORD_")) fields.newPassword ??= error.message;
      setErrors(fields);
      setMessage(messageOf(error));
    } finally {
      setSending(false);
    }
  };

  return (
    <>
      <h1>Kata Sandi Baru</h1>
      <p>Masukkan kode reset yang dikirim Admin Verifikasi Akun melalui WhatsApp (berlaku 24 jam).</p>
      <ErrorSummary message={message} errors={errors} order={["nik", "code", "newPassword"]} labels={LABELS} />
      <form onSubmit={submit} noValidate>
        <TextInput
          name="nik"
          label="NIK"
          inputMode="numeric"
          autocomplete="username"
          maxLength={20}
          value={form.nik}
          onValue={set("nik")}
          error={errors.nik}
        />
        <TextInput
          name="code"
          label="Kode reset"
          hint="Contoh: ABCDE-FGHJK"
          autocomplete="one-time-code"
          autocapitalize="characters"
          maxLength={20}
          value={form.code}
          onValue={set("code")}
          error={errors.code}
        />
        <TextInput
          name="newPassword"
          label="Kata sandi baru"
          hint="Paling sedikit 8 karakter."
          type="password"
          autocomplete="new-password"
          maxLength={128}
          value={form.newPassword}
          onValue={set("newPassword")}
          error={errors.newPassword}
        />
        <button type="submit" class="button" disabled={sending}>
          {sending ? "Menyimpan…" : "Simpan kata sandi baru"}
        </button>
      </form>
    </>
  );
}
