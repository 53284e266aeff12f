"use server";

import { API_RIGHTS } from "@probestream/types";
import { revalidatePath } from "next/cache";
import { cookies } from "next/headers";
import { api, signedInKey } from "../../lib/api";
import { SESSION_COOKIE } from "../../lib/session";

/** What the create form shows after a submit: the new key (once), or why not. */
export interface CreateKeyState {
  created?: { id: number; key: string; label: string; rights: string[] };
  error?: string;
}

interface ApiErrorBody {
  error?: { detail?: string };
}

function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

/**
 * Creates a key through the API as the signed-in key; the new key is returned to this form's
 * render only, never put in a URL, a cookie or a log. (Server actions refuse other sites' posts.)
 */
export async function createKey(_previous: CreateKeyState, form: FormData): Promise<CreateKeyState> {
  const rights = form.getAll("rights").map(String).filter((r) => (API_RIGHTS as readonly string[]).includes(r));
  const label = formText(form, "label").trim().slice(0, 128);
  const answer = await api<CreateKeyState["created"] & ApiErrorBody>("/api/v2/keys/", { method: "POST", body: { rights, label } });
  if (answer.status !== 201 || !answer.body) {
    return { error: answer.body?.error?.detail ?? `The API refused (${answer.status})` };
  }
  revalidatePath("/keys");
  const { id, key, rights: granted } = answer.body;
  return { created: { id, key, label, rights: granted } };
}

/** Revokes one of the user's keys through the API (the API decides whether this key may). */
export async function revokeKey(form: FormData): Promise<void> {
  const id = Number(formText(form, "id"));
  if (!Number.isInteger(id) || id < 1) return;
  const current = await signedInKey();
  const answer = await api(`/api/v2/keys/${id}/`, { method: "DELETE" });
  // The key the visitor is signed in with is gone: so is the session.
  if (answer.status === 204 && current?.id === id) (await cookies()).delete(SESSION_COOKIE);
  revalidatePath("/keys");
}
