// The three identity photos of the registration and forgotten-password forms (KTP-el or the
// police loss letter, Kartu Keluarga, a selfie), uploaded before an account exists with an
// upload token. One captcha per form: it buys the token, and the live token then stands in
// for it when the form is sent.

import { useRef, useState } from "preact/hooks";
import { ApiError, gql } from "../api/client";
import { graphql } from "../gql";
import type { IdentityDocumentKind } from "../gql/graphql";
import { type CaptchaState, useCaptcha } from "./captcha";
import { type FieldErrors, RadioGroup } from "./fields";
import { FileSlot, type Uploads, useUploads } from "./uploads";

const CreateUploadToken = graphql(`
  mutation CreateUploadToken($captchaId: ID!, $captchaAnswer: String!) {
    createUploadToken(captchaId: $captchaId, captchaAnswer: $captchaAnswer) {
      token
      expiresAt
    }
  }
`);

export const IDENTITY_SLOTS = ["identityUploadId", "familyCardUploadId", "selfieUploadId"] as const;

export const IDENTITY_LABELS: Record<string, string> = {
  identityDocumentKind: "Jenis bukti identitas",
  identityUploadId: "Foto KTP-el / surat kehilangan",
  familyCardUploadId: "Foto Kartu Keluarga",
  selfieUploadId: "Foto selfie",
  captchaAnswer: "Kode keamanan",
};

export interface IdentityUploads {
  kind: IdentityDocumentKind;
  setKind: (kind: IdentityDocumentKind) => void;
  captcha: CaptchaState;
  uploads: Uploads;
  /** The token, once the captcha bought one. */
  token: () => string | undefined;
  /**
   * Makes sure every photo is uploaded (buying the token with the captcha first) and returns
   * the document part of the form. Field errors come back as an `ApiError` with `fields`.
   */
  send: () => Promise<{ token: string; documents: DocumentsInput }>;
  /** After the server refused the form: uploads it could not use must travel again. */
  absorb: (error: ApiError) => void;
}

export interface DocumentsInput {
  identityDocumentKind: IdentityDocumentKind;
  identityUploadId: string;
  familyCardUploadId: string;
  selfieUploadId: string;
}

export function useIdentityUploads(): IdentityUploads {
  const [kind, setKind] = useState<IdentityDocumentKind>("KTP_EL");
  const captcha = useCaptcha();
  const token = useRef<string | undefined>(undefined);
  const uploads = useUploads(
    () => token.current,
    () => token.current !== undefined,
  );
  const send = async () => {
    await uploads.settled();
    const missing: FieldErrors = {};
    for (const key of IDENTITY_SLOTS) {
      if (!uploads.slot(key).file) missing[key] = "Belum ada foto dipilih.";
    }
    if (!token.current && !captcha.answer.trim()) missing.captchaAnswer = "Ketik kode keamanan pada gambar.";
    if (Object.keys(missing).length) {
      throw new ApiError(
        "INVALID_INPUT",
        "Periksa kembali isian yang ditandai.",
        Object.entries(missing).map(([field, message]) => ({ field, code: "REQUIRED", message })),
      );
    }
    if (!token.current) {
      try {
        const bought = await gql(CreateUploadToken, { captchaId: captcha.id ?? "", captchaAnswer: captcha.answer });
        token.current = bought.createUploadToken.token;
      } catch (error) {
        void captcha.refresh();
        if (error instanceof ApiError && error.code === "CAPTCHA_INVALID") {
          throw new ApiError(error.code, error.message, [
            { field: "captchaAnswer", code: error.code, message: error.message },
          ]);
        }
        throw error;
      }
    }
    let ids: Record<string, string>;
    try {
      ids = await uploads.uploadAll();
    } catch (error) {
      if (error instanceof ApiError && error.code === "UPLOAD_TOKEN_INVALID") forgetToken();
      throw error;
    }
    return {
      token: token.current,
      documents: {
        identityDocumentKind: kind,
        identityUploadId: ids.identityUploadId ?? "",
        familyCardUploadId: ids.familyCardUploadId ?? "",
        selfieUploadId: ids.selfieUploadId ?? "",
      },
    };
  };
  const forgetToken = () => {
    token.current = undefined;
    uploads.invalidateAll();
    void captcha.refresh();
  };
  const absorb = (error: ApiError) => {
    if (error.code === "UPLOAD_TOKEN_INVALID") forgetToken();
    for (const problem of error.fields) {
      if (problem.code === "UPLOAD_NOT_USABLE") uploads.invalidate(problem.field, problem.message);
    }
  };
  return { kind, setKind, captcha, uploads, token: () => token.current, send, absorb };
}

/** The kind choice and the three photo slots. */
export function IdentityDocuments({ identity, errors }: { identity: IdentityUploads; errors: FieldErrors }) {
  return (
    <>
      <RadioGroup
        name="identityDocumentKind"
        label="Bukti identitas yang Anda miliki"
        value={identity.kind}
        onValue={(value) => identity.setKind(value as IdentityDocumentKind)}
        error={errors.identityDocumentKind}
        options={[
          { value: "KTP_EL", label: "KTP Elektronik" },
          { value: "POLICE_LOSS_LETTER", label: "Surat Keterangan Kehilangan dari kepolisian (KTP-el hilang)" },
        ]}
      />
      <FileSlot
        uploads={identity.uploads}
        name="identityUploadId"
        label={identity.kind === "KTP_EL" ? "Foto KTP Elektronik" : "Foto Surat Keterangan Kehilangan"}
        hint="Foto yang jelas dan tidak terpotong. JPEG, PNG atau PDF, paling besar 5 MB; foto diperkecil otomatis."
        error={errors.identityUploadId}
      />
      <FileSlot
        uploads={identity.uploads}
        name="familyCardUploadId"
        label="Foto Kartu Keluarga (KK)"
        hint="Seluruh halaman KK terlihat dan tulisannya terbaca."
        error={errors.familyCardUploadId}
      />
      <FileSlot
        uploads={identity.uploads}
        name="selfieUploadId"
        label="Foto selfie wajah"
        hint="Wajah tegak tampak depan, tanpa masker atau kacamata gelap. Di ponsel, kamera depan akan terbuka."
        accept="image/jpeg,image/png"
        selfie
        error={errors.selfieUploadId}
      />
    </>
  );
}
