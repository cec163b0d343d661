// The one way pages talk to GraphQL: typed documents generated from docs/schema.graphql
// (src/gql and src/console/gql, `npm run codegen`) posted as JSON to the same origin. Errors arrive as `ApiError`,
// with the server's stable code, its Indonesian message and its per-field problems.

/** A typed operation of either codegen output (the portal's `src/gql`, the console's own). */
export interface Document<TResult, TVariables> {
  toString(): string;
  __apiType?: (variables: TVariables) => TResult;
}

/** One wrong field of a form, as the server names it (`nik`, `fields.nama_anak`, …). */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/** A refusal the resident should read: the server's code and message, or ours for the network. */
export class ApiError extends Error {
  readonly code: string;
  readonly fields: FieldProblem[];

  constructor(code: string, message: string, fields: FieldProblem[] = []) {
    super(message);
    this.code = code;
    this.fields = fields;
  }
}

export const NETWORK_ERROR = "NETWORK_ERROR";
const OFFLINE_MESSAGE = "Koneksi terputus. Periksa sinyal internet Anda, lalu coba lagi.";

interface GraphQLErrorBody {
  message?: string;
  extensions?: { code?: string; fields?: FieldProblem[] };
}

/** The error of a JSON error body (`{ errors: [...] }`), as GraphQL and `/uploads` answer. */
export function errorOf(body: unknown, status: number): ApiError {
  const first = (body as { errors?: GraphQLErrorBody[] } | null)?.errors?.[0];
  if (first?.message) {
    return new ApiError(first.extensions?.code ?? "UNKNOWN", first.message, first.extensions?.fields ?? []);
  }
  return new ApiError(`HTTP_${status}`, "Server tidak dapat menjawab saat ini. Silakan coba beberapa saat lagi.");
}

/** Runs one operation; resolves with its data or rejects with an `ApiError`. */
export async function gql<TResult, TVariables>(
  document: Document<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    });
  } catch {
    throw new ApiError(NETWORK_ERROR, OFFLINE_MESSAGE);
  }
  let body: { data?: TResult | null; errors?: GraphQLErrorBody[] };
  try {
    body = await response.json();
  } catch {
    throw errorOf(null, response.status);
  }
  if (body.errors?.length || body.data == null) throw errorOf(body, response.status);
  return body.data;
}

/** The message to show for any failure (an `ApiError`'s, or a generic one). */
export function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Terjadi kesalahan. Silakan coba lagi.";
}
