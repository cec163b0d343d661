// The captcha of the anonymous forms (sign-in, registration, forgotten password): the image,
// a button for a new one ("ganti gambar"), and the answer field.

import { useCallback, useEffect, useState } from "preact/hooks";
import { gql, messageOf } from "../api/client";
import { graphql } from "../gql";
import { Field } from "./fields";

const CreateCaptcha = graphql(`
  mutation CreateCaptcha {
    createCaptcha {
      id
      image
      expiresAt
    }
  }
`);

export interface CaptchaState {
  id: string | null;
  image: string | null;
  answer: string;
  setAnswer: (answer: string) => void;
  /** A new image (after every use: a captcha answers once). */
  refresh: () => Promise<void>;
  loadError: string | null;
}

export function useCaptcha(): CaptchaState {
  const [captcha, setCaptcha] = useState<{ id: string; image: string } | null>(null);
  const [answer, setAnswer] = useState("");
  const [loadError, setLoadError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    setAnswer("");
    try {
      const created = (await gql(CreateCaptcha)).createCaptcha;
      setCaptcha({ id: created.id, image: created.image });
      setLoadError(null);
    } catch (error) {
      setLoadError(messageOf(error));
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return { id: captcha?.id ?? null, image: captcha?.image ?? null, answer, setAnswer, refresh, loadError };
}

interface Props {
  captcha: CaptchaState;
  error?: string | undefined;
  name?: string;
}

export function Captcha({ captcha, error, name = "captchaAnswer" }: Props) {
  return (
    <Field
      name={name}
      label="Kode keamanan (captcha)"
      hint="Ketik huruf dan angka yang tampak pada gambar. Huruf besar atau kecil sama saja."
      error={error ?? captcha.loadError ?? undefined}
    >
      {(aria) => (
        <div class="captcha">
          <div class="captcha-image">
            {captcha.image ? (
              <img
                src={captcha.image}
                width={240}
                height={110}
                alt="Gambar kode keamanan (captcha)"
                data-captcha-id={captcha.id ?? undefined}
              />
            ) : (
              <span>Memuat gambar…</span>
            )}
            <button type="button" class="button secondary small" onClick={() => void captcha.refresh()}>
              Ganti gambar
            </button>
          </div>
          <input
            {...aria}
            name={name}
            class="captcha-answer"
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            maxLength={10}
            required
            value={captcha.answer}
            onInput={(event) => captcha.setAnswer(event.currentTarget.value)}
          />
        </div>
      )}
    </Field>
  );
}
