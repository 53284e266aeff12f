import Link from "next/link";

export default function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no such measurement. <Link href="/">Back to the list</Link>
      </p>
    </>
  );
}
