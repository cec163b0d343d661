// "Halaman Login Penduduk": NIK, password and the captcha. Throttling, an account still
// waiting for verification and a refused registration are answered in plain words.

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { ApiError, gql, messageOf } from "../api/client";
import { Captcha, useCaptcha } from "../components/captcha";
import { ErrorSummary, type FieldErrors, fieldErrorsOf, TextInput } from "../components/fields";
import { usePageTitle } from "../components/layout";
import { graphql } from "../gql";
import { resident } from "../lib/session";

const SignIn = graphql(`
  mutation Login($nik: String!, $password: String!, $captchaId: ID!, $captchaAnswer: String!) {
    login(nik: $nik, password: $password, captchaId: $captchaId, captchaAnswer: $captchaAnswer) {
      resident {
        ...ResidentFields
      }
      expiresAt
    }
  }
`);

const LABELS = { nik: "NIK", password: "Kata sandi", captchaAnswer: "Kode keamanan" };

/** Where to go after signing in: only a page of this portal. */
function nextPage(query: Record<string, string>): string {
  const next = query.lanjut ?? "";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/beranda";
}

export { LoginPage as Login };

function LoginPage() {
  usePageTitle("Login Penduduk");
  const { route, query } = useLocation();
  const captcha = useCaptcha();
  const [nik, setNik] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [awaiting, setAwaiting] = useState(false);
  const [sending, setSending] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending) return;
    const missing: FieldErrors = {};
    if (!nik.trim()) missing.nik = "Masukkan NIK Anda.";
    if (!password) missing.password = "Masukkan kata sandi Anda.";
    if (!captcha.answer.trim()) missing.captchaAnswer = "Ketik kode keamanan pada gambar.";
    if (Object.keys(missing).length) {
      setErrors(missing);
      setMessage("Lengkapi isian yang ditandai.");
      return;
    }
    setSending(true);
    setAwaiting(false);
    try {
      const reply = await gql(SignIn, {
        nik: nik.trim(),
        password,
        captchaId: captcha.id ?? "",
        captchaAnswer: captcha.answer,
      });
      resident.value = reply.login.resident;
      route(nextPage(query));
    } catch (error) {
      const code = error instanceof ApiError ? error.code : "";
      setAwaiting(code === "ACCOUNT_AWAITING_VERIFICATION");
      setErrors(
        code === "CAPTCHA_INVALID"
          ? { captchaAnswer: messageOf(error) }
          : error instanceof ApiError
            ? fieldErrorsOf(error.fields)
            : {},
      );
      setMessage(messageOf(error));
      // A captcha answers once, right or wrong.
      void captcha.refresh();
    } finally {
      setSending(false);
    }
  };

  return (
    <>
      <h1>Login Penduduk</h1>
      {query.keluar ? (
        <p class="notice" role="status">
          Anda sudah keluar. Sampai jumpa!
        </p>
      ) : null}
      <p>Masukkan NIK dan kata sandi yang telah Anda daftarkan, lalu jawaban dari captcha yang tampil.</p>
      <ErrorSummary message={message} errors={errors} order={["nik", "password", "captchaAnswer"]} labels={LABELS} />
      {awaiting ? (
        <p class="notice">
          Belum diverifikasi? Hubungi Admin Verifikasi Akun melalui WhatsApp; nomornya ada di halaman{" "}
          <a href="/kontak">Kontak Bantuan</a>.
        </p>
      ) : null}
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
          name="password"
          label="Kata sandi"
          type="password"
          autocomplete="current-password"
          maxLength={128}
          value={password}
          onValue={setPassword}
          error={errors.password}
        />
        <Captcha captcha={captcha} error={errors.captchaAnswer} />
        <button type="submit" class="button" disabled={sending}>
          {sending ? "Memeriksa…" : "Login"}
        </button>
      </form>
      <p>
        <a href="/lupa-kata-sandi">Lupa kata sandi?</a>
      </p>
      <p>
        Belum punya akun? <a href="/daftar">Pendaftaran Akun Baru</a>
      </p>
    </>
  );
}
