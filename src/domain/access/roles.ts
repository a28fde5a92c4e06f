/** API roles, weakest first: each role may do everything the ones before it may. */
export const ROLES = ['viewer', 'operator', 'platform_admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
