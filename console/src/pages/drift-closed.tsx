export function DriftClosed() {
  return <h1>Closed drift</h1>;
}
