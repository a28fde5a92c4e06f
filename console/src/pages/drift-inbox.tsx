export function DriftInbox() {
  return <h1>Drift inbox</h1>;
}
