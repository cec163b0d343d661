// Staff sign-in: username and password (no captcha: the staff list is small and known; the
// server throttles failures per username and address).

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { gql, messageOf } from "../../api/client";
import { ErrorSummary, type FieldErrors, TextInput } from "../../components/fields";
import { usePageTitle } from "../../components/layout";
import { graphql } from "../gql";
import { staff } from "../session";

const StaffLogin = graphql(`
  mutation StaffLogin($username: String!, $password: String!) {
    staffLogin(username: $username, password: $password) {
      staff {
        id
        username
        displayName
        role
        active
      }
      expiresAt
    }
  }
`);

export function ConsoleLogin() {
  usePageTitle("Masuk Petugas");
  const { route, query } = useLocation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | undefined>();
  const [sending, setSending] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (sending) return;
    const missing: FieldErrors = {};
    if (!username.trim()) missing.username = "Masukkan nama pengguna.";
    if (!password) missing.password = "Masukkan kata sandi.";
    setErrors(missing);
    if (Object.keys(missing).length) {
      setMessage("Lengkapi isian yang ditandai.");
      return;
    }
    setSending(true);
    try {
      const reply = await gql(StaffLogin, { username: username.trim(), password });
      staff.value = reply.staffLogin.staff;
      const next = query.lanjut ?? "";
      route(next.startsWith("/petugas") ? next : "/petugas");
    } catch (error) {
      setMessage(messageOf(error));
    } finally {
      setSending(false);
    }
  };
  return (
    <div class="narrow">
      <h1>Masuk Petugas</h1>
      <ErrorSummary
        message={message}
        errors={errors}
        order={["username", "password"]}
        labels={{ username: "Nama pengguna", password: "Kata sandi" }}
      />
      <form onSubmit={submit} noValidate>
        <TextInput
          name="username"
          label="Nama pengguna"
          autocomplete="username"
          autocapitalize="none"
          maxLength={32}
          value={username}
          onValue={setUsername}
          error={errors.username}
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
        <button type="submit" class="button" disabled={sending}>
          {sending ? "Memeriksa…" : "Masuk"}
        </button>
      </form>
    </div>
  );
}
