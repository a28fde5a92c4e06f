import { NavLink } from 'react-router';

export function DriftNav() {
  return (
    <nav aria-label="Drift">
      <ul className="subnav">
        <li>
          <NavLink to="/drift" end>
            Open, by cause
          </NavLink>
        </li>
        <li>
          <NavLink to="/drift/closed">Closed</NavLink>
        </li>
        <li>
          <NavLink to="/drift/policies">Policies</NavLink>
        </li>
      </ul>
    </nav>
  );
}
