import { Link } from 'react-router';

export function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no console page here. <Link to="/">Go to the overview</Link>.
      </p>
    </>
  );
}
