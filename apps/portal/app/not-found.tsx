import Link from "next/link";

export default function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        No measurement or page lives at this address. <Link href="/">Back to the measurements</Link>
      </p>
    </>
  );
}
