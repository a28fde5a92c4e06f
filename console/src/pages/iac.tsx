export function Iac() {
  return <h1>IaC states and locks</h1>;
}
