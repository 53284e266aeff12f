"use client";

import Link from "next/link";

/** An unexpected failure while rendering a page (the API unreachable, most often). */
export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <div className="notice notice-bad" role="alert">
      <h1>Something went wrong</h1>
      <p>The page could not be shown: the API may be unreachable for a moment.</p>
      <p>
        <button type="button" className="button" onClick={reset}>
          Try again
        </button>{" "}
        <Link href="/">Back to the measurements</Link>
      </p>
    </div>
  );
}
