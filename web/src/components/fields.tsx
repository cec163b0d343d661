// Form fields that carry their label, hint and error together, wired for screen readers
// (`aria-describedby`, `aria-invalid`), and the error summary that links to them.

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** The DOM id of a form field named as the server names it (`nik`, `fields.nama_anak`). */
export function fieldId(name: string): string {
  return `f-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}

/** Errors by field name (the server's `extensions.fields`, or our own checks). */
export type FieldErrors = Record<string, string>;

interface FieldProps {
  name: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  optional?: boolean;
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ComponentChildren;
}

/** A label, an optional hint, the error (if any), then the control itself. */
export function Field({ name, label, hint, error, optional, children }: FieldProps) {
  const id = fieldId(name);
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={error ? "field field-error" : "field"}>
      <label for={id}>
        {label}
        {optional ? <span class="optional"> (tidak wajib)</span> : null}
      </label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="error-message" id={`${id}-error`}>
          <span class="visually-hidden">Kesalahan: </span>
          {error}
        </p>
      ) : null}
      {children({
        id,
        ...(described ? { "aria-describedby": described } : {}),
        ...(error ? { "aria-invalid": true } : {}),
      })}
    </div>
  );
}

interface InputProps {
  name: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  optional?: boolean;
  value: string;
  onValue: (value: string) => void;
  type?: "text" | "tel" | "email" | "password" | "date";
  inputMode?: "numeric" | "tel" | "email" | "text";
  autocomplete?: string;
  autocapitalize?: "characters" | "none" | "off" | "on" | "sentences" | "words";
  maxLength?: number;
  max?: string;
}

/** A text-like input (text, tel, email, password, date, number). */
export function TextInput({ name, label, hint, error, optional, value, onValue, type, ...rest }: InputProps) {
  return (
    <Field name={name} label={label} hint={hint} error={error} optional={optional ?? false}>
      {(aria) => (
        <input
          {...rest}
          {...aria}
          // One literal for the checker: preact types each input `type` as its own variant.
          type={(type ?? "text") as "text"}
          name={name}
          value={value}
          required={!optional}
          onInput={(event) => onValue(event.currentTarget.value)}
        />
      )}
    </Field>
  );
}

interface ChoiceProps {
  name: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  options: { value: string; label: string }[];
  value: string;
  onValue: (value: string) => void;
}

/** Radio buttons in a fieldset: one tap, no hidden list, for a few options. */
export function RadioGroup({ name, label, hint, error, options, value, onValue }: ChoiceProps) {
  const id = fieldId(name);
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <fieldset
      class={error ? "field field-error" : "field"}
      id={id}
      tabIndex={-1}
      aria-describedby={described || undefined}
    >
      <legend>{label}</legend>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="error-message" id={`${id}-error`}>
          <span class="visually-hidden">Kesalahan: </span>
          {error}
        </p>
      ) : null}
      {options.map((option, index) => (
        <label class="radio" key={option.value} for={`${id}-${index}`}>
          <input
            type="radio"
            id={`${id}-${index}`}
            name={name}
            value={option.value}
            checked={value === option.value}
            onChange={() => onValue(option.value)}
          />
          <span>{option.label}</span>
        </label>
      ))}
    </fieldset>
  );
}

/** A drop-down list, for many options. */
export function Select({ name, label, hint, error, options, value, onValue }: ChoiceProps) {
  return (
    <Field name={name} label={label} hint={hint} error={error}>
      {(aria) => (
        <select {...aria} name={name} value={value} onChange={(event) => onValue(event.currentTarget.value)}>
          <option value="">— Pilih —</option>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

interface SummaryProps {
  /** The form-wide message (the server's, e.g. "Periksa kembali isian berikut: …"). */
  message?: string | undefined;
  errors: FieldErrors;
  /** Field names in the order they appear on the page. */
  order: string[];
  /** Labels by field name, for the links. */
  labels: Record<string, string>;
}

/** The summary at the top of a form: takes focus when it appears, links to each field. */
export function ErrorSummary({ message, errors, order, labels }: SummaryProps) {
  const ref = useRef<HTMLDivElement>(null);
  const names = [
    ...order.filter((name) => errors[name]),
    ...Object.keys(errors).filter((name) => !order.includes(name)),
  ];
  const visible = Boolean(message) || names.length > 0;
  const signature = `${message}|${names.join(",")}`;
  useEffect(() => {
    if (visible) ref.current?.focus();
  }, [signature, visible]);
  if (!visible) return null;
  return (
    <div class="error-summary" ref={ref} tabIndex={-1} role="alert" aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">Ada yang perlu diperbaiki</h2>
      {message ? <p>{message}</p> : null}
      {names.length ? (
        <ul>
          {names.map((name) => (
            <li key={name}>
              <a
                href={`#${fieldId(name)}`}
                onClick={(event) => {
                  event.preventDefault();
                  const target = document.getElementById(fieldId(name));
                  target?.scrollIntoView({ block: "center" });
                  target?.focus();
                }}
              >
                {labelled(labels[name], errors[name] ?? "")}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Field errors of an `ApiError`, by field name. */
export function fieldErrorsOf(fields: { field: string; message: string }[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const problem of fields) errors[problem.field] ??= problem.message;
  return errors;
}

/** "Label: message", unless the message already names its field (the server's often do). */
function labelled(label: string | undefined, message: string): string {
  return label && !message.startsWith(label) ? `${label}: ${message}` : message;
}
