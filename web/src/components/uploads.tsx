// Document slots: a photo is chosen, shrunk in the browser, uploaded with visible progress,
// and can be retried on its own when the link drops. A form refers to the upload ids.

import { useRef, useState } from "preact/hooks";
import { ApiError, messageOf } from "../api/client";
import { upload } from "../api/upload";
import { formatBytes } from "../lib/format";
import { type Prepared, prepare } from "../lib/image";
import { fieldId } from "./fields";

export type SlotState = "empty" | "preparing" | "waiting" | "uploading" | "done" | "failed";

export interface Slot {
  state: SlotState;
  progress: number;
  file?: Prepared & { originalSize: number };
  uploadId?: string;
  error?: string;
}

const EMPTY: Slot = { state: "empty", progress: 0 };

export interface Uploads {
  slots: Record<string, Slot>;
  slot: (key: string) => Slot;
  choose: (key: string, file: File | undefined) => Promise<void>;
  retry: (key: string) => Promise<void>;
  /** Resolves once every chosen photo has been prepared (a Kirim pressed meanwhile waits). */
  settled: () => Promise<void>;
  /** Uploads every chosen file not yet uploaded; resolves with the ids by key. */
  uploadAll: () => Promise<Record<string, string>>;
  /** Forgets an upload the server refused to use, so the next attempt sends it again. */
  invalidate: (key: string, message?: string) => void;
  /** Forgets every upload id (the token they were made with has expired). */
  invalidateAll: () => void;
}

/**
 * The slots of one form. `token()` returns the upload token to use (anonymous forms) or
 * `undefined` with a session; `ready()` says whether uploads may start now (an anonymous form
 * waits for its captcha to be solved).
 */
export function useUploads(token: () => string | undefined, ready: () => boolean): Uploads {
  const [slots, setSlots] = useState<Record<string, Slot>>({});
  const current = useRef(slots);
  const preparing = useRef(new Map<string, Promise<unknown>>());
  const update = (key: string, change: Partial<Slot> | ((slot: Slot) => Slot)) => {
    const before = current.current[key] ?? EMPTY;
    const after = typeof change === "function" ? change(before) : { ...before, ...change };
    current.current = { ...current.current, [key]: after };
    setSlots(current.current);
  };
  const send = async (key: string): Promise<string> => {
    const slot = current.current[key];
    if (!slot?.file) throw new ApiError("MISSING_FILE", "Pilih berkasnya terlebih dahulu.");
    if (slot.uploadId) return slot.uploadId;
    const file = slot.file;
    update(key, { state: "uploading", progress: 0, error: undefined });
    try {
      const uploaded = await upload(file.blob, file.name, {
        token: token(),
        onProgress: (progress) => {
          if (current.current[key]?.file === file) update(key, { progress });
        },
      });
      // A newer choice replaced this file while it travelled: keep the newer one.
      if (current.current[key]?.file !== file) return send(key);
      update(key, { state: "done", progress: 1, uploadId: uploaded.uploadId });
      return uploaded.uploadId;
    } catch (error) {
      update(key, { state: "failed", error: messageOf(error) });
      throw error;
    }
  };
  const choose = async (key: string, file: File | undefined) => {
    if (!file) {
      update(key, () => EMPTY);
      return;
    }
    update(key, { state: "preparing", progress: 0, uploadId: undefined, error: undefined, file: undefined });
    const preparation = prepare(file);
    preparing.current.set(key, preparation);
    const prepared = await preparation;
    if (preparing.current.get(key) !== preparation) return;
    preparing.current.delete(key);
    update(key, { state: "waiting", file: { ...prepared, originalSize: file.size } });
    if (ready()) await send(key).catch(() => {});
  };
  return {
    slots,
    slot: (key) => current.current[key] ?? EMPTY,
    choose,
    retry: async (key) => {
      await send(key).catch(() => {});
    },
    settled: async () => {
      while (preparing.current.size) await Promise.all(preparing.current.values());
    },
    uploadAll: async () => {
      while (preparing.current.size) await Promise.all(preparing.current.values());
      const keys = Object.keys(current.current).filter((key) => current.current[key]?.file);
      const ids: Record<string, string> = {};
      let failure: unknown = null;
      // One at a time: on a weak link parallel uploads only make each one slower.
      for (const key of keys) {
        try {
          ids[key] = await send(key);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure) throw failure;
      return ids;
    },
    invalidate: (key, message) => {
      update(key, (slot) => ({
        ...slot,
        uploadId: undefined,
        state: slot.file ? "failed" : "empty",
        ...(message ? { error: message } : {}),
      }));
    },
    invalidateAll: () => {
      for (const key of Object.keys(current.current)) {
        update(key, (slot) => ({ ...slot, uploadId: undefined, state: slot.file ? "waiting" : "empty", progress: 0 }));
      }
    },
  };
}

interface SlotProps {
  uploads: Uploads;
  name: string;
  label: string;
  hint?: string | undefined;
  required?: boolean;
  /** MIME types the input offers (`image/*,application/pdf`). */
  accept?: string;
  /** Opens the front camera on a phone (the selfie). */
  selfie?: boolean;
  /** A form-level error for this slot (from the server). */
  error?: string | undefined;
}

/** One document: the file input, its preview size, progress and a retry button. */
export function FileSlot({ uploads, name, label, hint, required, accept, selfie, error }: SlotProps) {
  const id = fieldId(name);
  const slot = uploads.slot(name);
  const shown = error ?? (slot.state === "failed" ? slot.error : undefined);
  const described = [hint ? `${id}-hint` : "", `${id}-status`, shown ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={shown ? "field file-slot field-error" : "field file-slot"}>
      <label for={id}>
        {label}
        {required === false ? <span class="optional"> (tidak wajib)</span> : null}
      </label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {shown ? (
        <p class="error-message" id={`${id}-error`}>
          <span class="visually-hidden">Kesalahan: </span>
          {shown}
        </p>
      ) : null}
      <input
        type="file"
        class="file-input"
        id={id}
        name={name}
        accept={accept ?? "image/jpeg,image/png,application/pdf"}
        {...(selfie ? { capture: "user" } : {})}
        aria-describedby={described}
        {...(shown ? { "aria-invalid": true } : {})}
        onChange={(event) => {
          void uploads.choose(name, event.currentTarget.files?.[0]);
        }}
      />
      {/* The browser's own button speaks the browser's language; this one speaks Indonesian. */}
      <label class="button secondary small file-button" for={id} aria-hidden="true">
        {slot.file ? "Ganti berkas" : selfie ? "Ambil foto / pilih berkas" : "Pilih foto / berkas"}
      </label>
      <div class="slot-status" id={`${id}-status`} aria-live="polite">
        <SlotStatus slot={slot} />
      </div>
      {slot.state === "failed" && slot.file ? (
        <button type="button" class="button secondary small" onClick={() => void uploads.retry(name)}>
          Coba unggah lagi
        </button>
      ) : null}
    </div>
  );
}

function SlotStatus({ slot }: { slot: Slot }) {
  const size = slot.file
    ? slot.file.blob.size < slot.file.originalSize
      ? `${formatBytes(slot.file.blob.size)} (diperkecil dari ${formatBytes(slot.file.originalSize)})`
      : formatBytes(slot.file.blob.size)
    : "";
  switch (slot.state) {
    case "empty":
      return <span>Belum ada berkas dipilih.</span>;
    case "preparing":
      return <span>Menyiapkan foto…</span>;
    case "waiting":
      return <span>Siap dikirim: {size}.</span>;
    case "uploading":
      return (
        <span class="progress-line">
          <progress max={1} value={slot.progress} aria-label="Kemajuan unggah" />
          <span>Mengunggah {Math.round(slot.progress * 100)}%</span>
        </span>
      );
    case "done":
      return <span class="ok">✓ Terunggah: {size}.</span>;
    case "failed":
      return <span>Belum terunggah: {size}.</span>;
  }
}
