// `POST /uploads` with progress (fetch cannot report upload progress; XMLHttpRequest can).

import { ApiError, errorOf, NETWORK_ERROR } from "./client";

/** What the server keeps of an upload: the id a form then refers to. */
export interface Uploaded {
  uploadId: string;
  contentType: string;
  byteSize: number;
}

export interface UploadOptions {
  /** Before an account exists: the token a solved captcha bought. Otherwise the session. */
  token?: string | undefined;
  onProgress?: (fraction: number) => void;
}

/** Sends one file as the multipart field `file`. */
export function upload(file: Blob, name: string, options: UploadOptions = {}): Promise<Uploaded> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/uploads");
    if (options.token) request.setRequestHeader("X-Upload-Token", options.token);
    // A cross-site form cannot set this header: the server requires it with a session.
    else request.setRequestHeader("X-Requested-With", "fetch");
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status === 201 && request.response?.uploadId) resolve(request.response as Uploaded);
      else reject(errorOf(request.response, request.status));
    };
    request.onerror = () =>
      reject(new ApiError(NETWORK_ERROR, "Unggahan terputus. Periksa sinyal internet Anda, lalu coba lagi."));
    const form = new FormData();
    form.append("file", file, name);
    request.send(form);
  });
}
