import Link from "next/link";

export default function Forbidden() {
  return (
    <>
      <h1>Private</h1>
      <p data-testid="forbidden">
        This is private: only its owner, signed in with an API key that may read private results, can see it. If it is yours, sign in with your key.
      </p>
      <p>
        <Link href="/">Back to the measurements</Link>
      </p>
    </>
  );
}
