export function DriftPolicies() {
  return <h1>Drift policies</h1>;
}
